"""Login and logout pages, and how Flask-Login finds the user of a request (a row in login_sessions)."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user

from .. import audit
from ..db.database import db_session
from .users import check_login, close_session, load_session, open_session

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in."


@login_manager.user_loader
def _load(token: str):
    return load_session(db_session(), token, audit.utcnow())


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        s = db_session()
        user = check_login(s, name, request.form.get("password", ""))
        if user is None:
            audit.record("login.failed", f"user {name}", user_name=name or "-")
            flash("Wrong name or password.", "error")
            return render_template("login.html", name=name), 401
        lifetime = dt.timedelta(hours=current_app.config["CONSOLE_SESSION_HOURS"])
        token = open_session(s, user, audit.utcnow(), lifetime)
        s.commit()
        session.permanent = True
        loaded = load_session(s, token, audit.utcnow())
        login_user(loaded)
        audit.record("login", f"user {name}")
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("home"))
    return render_template("login.html", name="")


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        audit.record("logout", f"user {current_user.name}")
        close_session(db_session(), current_user.token)
        db_session().commit()
    logout_user()
    return redirect(url_for("auth.login"))
