"""The console's settings, validated once at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from runtime.shared.errors import ConfigError

DEFAULT_PORT = 8470
DB_FILE = "console.sqlite3"


@dataclass(frozen=True)
class ConsoleSettings:
    data_dir: Path
    db_url: str | None = None          # None: SQLite file DB_FILE in data_dir
    broker: str | None = None          # mqtt://host:port of the fleet broker; None: no Fleet area data
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    session_hours: float = 8.0         # a login expires this long after it was made
    url_scheme: str = "http"           # "https" behind a TLS-terminating reverse proxy (docs/console.md)

    def __post_init__(self):
        if self.db_url is not None and not self.db_url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ConfigError(f"--db: expected sqlite:///FILE or postgresql://user@host/db, got {self.db_url!r}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"--port: expected 1-65535, got {self.port}")
        if self.session_hours <= 0:
            raise ConfigError(f"session_hours: expected > 0, got {self.session_hours}")

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL: the SQLite file in the data dir unless --db names another; psycopg 3 for PostgreSQL."""
        if self.db_url is None:
            return f"sqlite:///{(self.data_dir / DB_FILE).resolve()}"
        if self.db_url.startswith("postgresql://"):
            return "postgresql+psycopg://" + self.db_url.removeprefix("postgresql://")
        return self.db_url
