"""Every table of the console. Times are naive UTC datetimes (SQLite keeps no zone).

A new table goes here AND in a new Alembic revision under `migrations/versions/` (`down_revision` = the
current head); the app upgrades the database to head at start-up.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))          # auth.roles.Role value
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class LoginSession(Base):
    """One login: the browser's cookie holds `token` (signed by Flask); deleting the row logs it out."""
    __tablename__ = "login_sessions"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AuditEntry(Base):
    """Who did what, when, to what. Written by `audit.record` for every action."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    user_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(512))
    detail: Mapped[str] = mapped_column(Text, default="")      # JSON


class Draft(Base):
    """An editor's unsaved work (the Content area): one row per (area, key), body is JSON or YAML text."""
    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("area", "key", name="uq_drafts_area_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class Rollout(Base):
    """One push of a bundle from the console and how it went (the Fleet area's rollout history)."""
    __tablename__ = "rollouts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle_id: Mapped[str] = mapped_column(String(128))
    bundle_file: Mapped[str] = mapped_column(String(512))
    target: Mapped[str] = mapped_column(Text)               # JSON list of device ids
    waves: Mapped[str] = mapped_column(String(128))          # e.g. "10,50,100"
    abort_at: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16))           # fleet_area.rollout_state.RolloutState
    progress: Mapped[str] = mapped_column(Text, default="{}")  # JSON: wave, per-device results
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # the console process running it and its last stamp (fleet_area/rollout_owner.py); None: not recorded
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, default=None)


class ConsoleSecret(Base):
    """The key that signs session cookies and CSRF tokens: in the database, so every console behind a
    load balancer on one PostgreSQL shares it."""
    __tablename__ = "console_secret"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
