"""The audit log: `record(action, target, **detail)` after every action a person takes (committed at once)."""

from __future__ import annotations

import datetime as dt
import json

from flask_login import current_user
from sqlalchemy import select

from .db.database import db_session
from .db.models import AuditEntry


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def record(action: str, target: str, user_name: str | None = None, **detail) -> None:
    """E.g. record("rollout.start", "bundle content-2026-12-06", devices=2). Commits the request's session."""
    who = user_name or (current_user.name if current_user.is_authenticated else "-")
    s = db_session()
    s.add(AuditEntry(at=utcnow(), user_name=who, action=action, target=target[:512],
                     detail=json.dumps(detail, ensure_ascii=False, default=str)))
    s.commit()


def recent(limit: int = 200) -> list[AuditEntry]:
    return list(db_session().scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
