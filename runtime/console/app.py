"""The app factory: `create_app(settings, fleet)` -> a Flask app with the database migrated, login,
CSRF, the areas registered. Areas are packages with `register(app)`, listed in AREAS."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import logging
import threading

from flask import Flask, jsonify, redirect, render_template, url_for
from flask_login import login_required
from flask_wtf.csrf import CSRFError, CSRFProtect

from . import audit
from .auth.roles import Role, can, require_role
from .auth.views import bp as auth_bp
from .auth.views import login_manager
from .db.database import Database, init_app
from .settings import ConsoleSettings

log = logging.getLogger(__name__)
csrf = CSRFProtect()
# each: a package under runtime/console with register(app); a missing one is logged, not an error
AREAS = ("runtime.console.fleet_area", "runtime.console.content")


def create_app(settings: ConsoleSettings, fleet=None, db: Database | None = None) -> Flask:
    """`fleet`: the FleetService the app talks to the broker through (fleet_area/service.py), or None."""
    app = Flask(__name__)
    db = db or Database(settings.database_url)
    db.upgrade()
    init_app(app, db)
    app.config.update(
        SECRET_KEY=db.secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.url_scheme == "https",
        REMEMBER_COOKIE_DURATION=dt.timedelta(0),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_hours),
        PREFERRED_URL_SCHEME=settings.url_scheme,
        MAX_CONTENT_LENGTH=512 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,           # the token lives as long as the login session
        CONSOLE_SESSION_HOURS=settings.session_hours,
        CONSOLE_SETTINGS=settings,
    )
    if fleet is None:
        from .fleet_area.service import NoBroker
        fleet = NoBroker()
    app.extensions["console_fleet"] = fleet
    app.extensions["console_closing"] = threading.Event()     # set: open event streams end (see close_app)
    csrf.init_app(app)
    login_manager.init_app(app)
    app.register_blueprint(auth_bp)
    app.jinja_env.globals.update(can=can, Role=Role, areas=[])
    app.jinja_env.filters["utc"] = utc_time
    _core_routes(app)
    for name in AREAS:
        if importlib.util.find_spec(name) is None:
            log.info("console area %s not installed", name)
            continue
        importlib.import_module(name).register(app)
        log.info("console area %s registered", name)
    return app


def _core_routes(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        return jsonify(ok=True)

    @app.get("/")
    @login_required
    def home():
        areas = app.jinja_env.globals["areas"]
        return redirect(areas[0]["url"]) if areas else render_template("home.html")

    @app.get("/audit")
    @require_role(Role.ADMIN)
    def audit_log():
        return render_template("audit.html", entries=audit.recent())

    @app.errorhandler(CSRFError)
    def csrf_refused(err):
        return render_template("error.html", code=400, message=f"Refused: {err.description} "
                               "(reload the page and try again)."), 400

    @app.errorhandler(403)
    def forbidden(err):
        return render_template("error.html", code=403, message=err.description), 403


def close_app(app: Flask) -> None:
    """End the open event streams (each within live.sse.WAKE_S), before the server stops."""
    app.extensions["console_closing"].set()
    rollouts = app.extensions.get("console_rollouts")
    if rollouts is not None:
        rollouts.close()                                      # its heartbeat thread ends


def utc_time(epoch) -> str:
    """Jinja filter `|utc`: epoch seconds -> "2026-12-06 10:47:01 UTC" ("-" for none)."""
    if not isinstance(epoch, (int, float)) or isinstance(epoch, bool) or epoch <= 0:
        return "-"
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def add_area(app: Flask, title: str, endpoint: str) -> None:
    """Put an area in the top navigation (call from the area's register(app), after registering its blueprint)."""
    with app.test_request_context():
        url = url_for(endpoint)
    app.jinja_env.globals["areas"].append({"title": title, "url": url, "endpoint": endpoint})
