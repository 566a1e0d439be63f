"""Drafts in the console's database (the `drafts` table, area "content"): one row per draft, its body
JSON {"yaml": faq.yaml text, "tests": [test questions], "source": where it came from}. Every edit is
written at once, so a draft survives a browser reload and a console restart."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.shared.errors import ContentError

from ..audit import utcnow
from ..db.models import Draft
from .coverage import EditorQuestion

AREA = "content"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass
class DraftBody:
    yaml: str
    source: str = ""
    tests: list[EditorQuestion] = field(default_factory=list)

    def encode(self) -> str:
        return json.dumps({"yaml": self.yaml, "source": self.source, "tests": [asdict(t) for t in self.tests]},
                          ensure_ascii=False)

    @classmethod
    def decode(cls, text: str) -> DraftBody:
        raw = json.loads(text)
        return cls(raw.get("yaml", ""), raw.get("source", ""),
                   [EditorQuestion(t["question"], t["lang"], t.get("expected")) for t in raw.get("tests", [])])


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.match(name):
        raise ContentError(f"name: expected 1-64 letters, digits, _ . or - (starting with a letter or digit), "
                           f"got {name!r}")
    return name


def list_drafts(s: Session) -> list[Draft]:
    return list(s.scalars(select(Draft).where(Draft.area == AREA).order_by(Draft.updated_at.desc())))


def find(s: Session, name: str, for_update: bool = False) -> Draft | None:
    query = select(Draft).where(Draft.area == AREA, Draft.key == name)
    return s.scalar(query.with_for_update() if for_update else query)


# One read-modify-write of a draft at a time in this process (SQLite), and the row locked until the
# commit on PostgreSQL (several consoles behind a load balancer): two editors' saves never cross.
_EDIT_LOCK = threading.Lock()


@contextmanager
def editing(s: Session, name: str) -> Iterator[DraftBody]:
    """Load the draft for a change; what the block leaves in the body is saved by `save` inside it."""
    with _EDIT_LOCK:
        row = find(s, name, for_update=True)
        if row is None:
            s.rollback()
            raise KeyError(name)
        try:
            yield DraftBody.decode(row.body)
        finally:
            if s.in_transaction():
                s.rollback()      # nothing saved (an error): let go of the row


def load(s: Session, name: str) -> DraftBody:
    row = find(s, name)
    if row is None:
        raise KeyError(name)
    return DraftBody.decode(row.body)


def create(s: Session, name: str, body: DraftBody, user: str) -> None:
    name = check_name(name)
    if find(s, name) is not None:
        raise ContentError(f"name: a draft called {name!r} exists already; open it or pick another name")
    s.add(Draft(area=AREA, key=name, body=body.encode(), updated_at=utcnow(), updated_by=user))
    s.commit()


def save(s: Session, name: str, body: DraftBody, user: str) -> None:
    row = find(s, name)
    if row is None:
        raise KeyError(name)
    row.body, row.updated_at, row.updated_by = body.encode(), utcnow(), user
    s.commit()


def summary(row: Draft) -> dict[str, Any]:
    body = DraftBody.decode(row.body)
    return {"name": row.key, "source": body.source, "updated_at": row.updated_at, "updated_by": row.updated_by}
