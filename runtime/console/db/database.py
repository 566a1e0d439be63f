"""The engine, migrations at start-up, and one SQLAlchemy session per request (`db_session()`)."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .models import ConsoleSecret

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revision (run at every start)."""
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)   # a line per plugin otherwise
        from alembic import command
        from alembic.config import Config
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        log.info("console database at head: %s", self.engine.url.render_as_string(hide_password=True))

    def secret_key(self) -> str:
        with self.sessions() as s, s.begin():
            row = s.scalar(select(ConsoleSecret).where(ConsoleSecret.id == 1))
            if row is None:
                row = ConsoleSecret(id=1, key=secrets.token_hex(32))
                s.add(row)
            return row.key

    def dispose(self) -> None:
        self.engine.dispose()


def init_app(app: Flask, db: Database) -> None:
    app.extensions["console_db"] = db

    @app.teardown_appcontext
    def _close(exc):
        s = g.pop("db_session", None)
        if s is not None:
            if exc is not None:
                s.rollback()
            s.close()


def db_session() -> Session:
    """The request's session (closed at the end of the request; commit what you change)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["console_db"].sessions()
    return g.db_session
