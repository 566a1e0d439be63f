"""`edge-avatar console` (serve the console with waitress) and `edge-avatar console adduser`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from runtime.shared.errors import ConfigError

from .settings import DEFAULT_PORT, ConsoleSettings

log = logging.getLogger(__name__)


def add_command(sub) -> None:
    p = sub.add_parser("console", help="the web console: fleet dashboard and content editor (docs/console.md)")
    _common(p, argparse.SUPPRESS)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: localhost only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--broker", help="the fleet broker, mqtt://host:port (the Fleet area needs it)")
    p.add_argument("--url-scheme", choices=("http", "https"), default="http",
                   help="https when a TLS reverse proxy is in front (secure cookies, https links)")
    p.add_argument("--threads", type=int, default=32, help="waitress worker threads (each live page holds one)")
    p.set_defaults(func=_cmd_serve)
    csub = p.add_subparsers(dest="console_command")
    add = csub.add_parser("adduser", help="add a user (or set their password and role); password from stdin")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("viewer", "editor", "admin"))
    _common(add, argparse.SUPPRESS)
    add.set_defaults(func=_cmd_adduser)


def _common(p, default) -> None:
    p.add_argument("--data-dir", type=Path, default=default, help="where the console keeps its files (required)")
    p.add_argument("--db", default=default, help="database URL (default: SQLite file in --data-dir); postgresql://…")


def _settings(args, **more) -> ConsoleSettings:
    data_dir = getattr(args, "data_dir", None)
    if data_dir is None:
        raise ConfigError("console: --data-dir DIR is required")
    data_dir.mkdir(parents=True, exist_ok=True)
    return ConsoleSettings(data_dir=data_dir, db_url=getattr(args, "db", None), **more)


def _cmd_adduser(args) -> int:
    from .audit import utcnow
    from .auth.roles import Role
    from .auth.users import add_user
    from .db.database import Database
    from .db.models import AuditEntry

    settings = _settings(args)
    password = sys.stdin.readline().rstrip("\r\n")
    db = Database(settings.database_url)
    db.upgrade()
    with db.sessions() as s, s.begin():
        add_user(s, args.name, password, Role.parse(args.role), utcnow())
        s.add(AuditEntry(at=utcnow(), user_name="(command line)", action="user.set", target=f"user {args.name}",
                         detail=f'{{"role": "{args.role}"}}'))
    db.dispose()
    print(f"user {args.name}: {args.role}")
    return 0


def _cmd_serve(args) -> int:
    settings = _settings(args, host=args.host, port=args.port, broker=args.broker, url_scheme=args.url_scheme)
    import waitress

    from .app import close_app, create_app
    from .fleet_area.service import open_fleet_service

    fleet = open_fleet_service(settings.broker)
    app = create_app(settings, fleet=fleet)
    log.info("console on http://%s:%d (database %s)", settings.host, settings.port,
             app.extensions["console_db"].engine.url.render_as_string(hide_password=True))
    try:
        waitress.serve(app, host=settings.host, port=settings.port, threads=args.threads,
                       url_scheme=settings.url_scheme, ident="edge-avatar-console")
    finally:
        close_app(app)
        fleet.close()
    return 0
