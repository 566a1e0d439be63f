"""Users and their login sessions in the database; passwords hashed by werkzeug (scrypt)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from runtime.shared.errors import ConfigError

from ..db.models import LoginSession, User
from .roles import Role

MIN_PASSWORD = 8
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")


@dataclass(frozen=True)
class ConsoleUser:
    """What Flask-Login holds for a request: the user and the login (session token) it came with."""
    id: int
    name: str
    role: Role
    token: str
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return self.token


def add_user(s: Session, name: str, password: str, role: Role, now: dt.datetime) -> User:
    """Create a user, or set the password and role of an existing one."""
    if not name or set(name) - NAME_CHARS or len(name) > 64:
        raise ConfigError(f"user name: expected 1-64 of letters, digits and ._-@, got {name!r}")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"password: expected at least {MIN_PASSWORD} characters, got {len(password)}")
    user = s.scalar(select(User).where(User.name == name))
    if user is None:
        user = User(name=name, created_at=now)
        s.add(user)
    user.password_hash = generate_password_hash(password, method="scrypt")
    user.role = role.value
    return user


def check_login(s: Session, name: str, password: str) -> User | None:
    user = s.scalar(select(User).where(User.name == name))
    if user is None:
        check_password_hash(generate_password_hash("x", method="scrypt"), password)   # same time either way
        return None
    return user if check_password_hash(user.password_hash, password) else None


def open_session(s: Session, user: User, now: dt.datetime, lifetime: dt.timedelta) -> str:
    token = secrets.token_urlsafe(32)
    s.add(LoginSession(token=token, user_id=user.id, created_at=now, expires_at=now + lifetime))
    s.execute(delete(LoginSession).where(LoginSession.expires_at < now))   # expired logins go
    return token


def load_session(s: Session, token: str, now: dt.datetime) -> ConsoleUser | None:
    row = s.get(LoginSession, token)
    if row is None or row.expires_at <= now:
        return None
    user = s.get(User, row.user_id)
    return None if user is None else ConsoleUser(user.id, user.name, Role(user.role), token)


def close_session(s: Session, token: str) -> None:
    s.execute(delete(LoginSession).where(LoginSession.token == token))
