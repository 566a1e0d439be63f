"""Roles: viewer < editor < admin. `require_role(Role.EDITOR)` on a view: login needed, a lower role gets 403."""

from __future__ import annotations

import enum
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


class Role(enum.Enum):
    VIEWER = "viewer"      # sees everything, changes nothing
    EDITOR = "editor"      # + edits content packs and drafts, builds bundles
    ADMIN = "admin"        # + fleet commands, rollouts, users

    @property
    def rank(self) -> int:
        return ("viewer", "editor", "admin").index(self.value)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls(text)
        except ValueError:
            raise ValueError(f"role: expected viewer, editor or admin, got {text!r}") from None


def require_role(needed: Role):
    def wrap(view):
        @wraps(view)
        @login_required
        def checked(*args, **kwargs):
            if not current_user.role.allows(needed):
                abort(403, description=f"this needs the {needed.value} role (you are {current_user.role.value})")
            return view(*args, **kwargs)
        return checked
    return wrap


def can(needed: Role) -> bool:
    """For templates: show a button only to those allowed to press it."""
    return bool(current_user.is_authenticated and current_user.role.allows(needed))
