"""The console's contract: healthz without login, login sessions that expire, roles, CSRF on every
state-changing request, the audit log — on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from tests.console_fixtures import *
from tests.console_fixtures import PASSWORD, login


def test_healthz_answers_without_login_and_everything_else_needs_a_session(console_app):
    client = console_app.test_client()
    assert client.get("/healthz").status_code == 200
    for path in ("/", "/fleet/", "/fleet/devices.json", "/audit"):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path


def test_wrong_password_is_refused_and_audited(console_app, make_user, client_as):
    make_user("bob", "viewer")
    client = console_app.test_client()
    r = login(client, "bob", "not-the-password")
    assert r.status_code == 401 and "Wrong name or password" in r.get_data(as_text=True)
    assert client.get("/fleet/").status_code == 302
    admin = client_as("admin")
    page = admin.get("/audit").get_data(as_text=True)
    assert "login.failed" in page and "user bob" in page


def test_a_post_without_the_csrf_token_is_refused(client_as):
    client = client_as("admin")
    r = client.post("/logout")
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)
    assert client.get("/fleet/").status_code == 200          # still logged in: nothing happened


def test_logout_ends_the_session_on_the_server(console_app, client_as):
    client = client_as("viewer")
    assert client.post("/logout", data={"csrf_token": client.csrf}).status_code == 302
    assert client.get("/fleet/").status_code == 302


def test_an_expired_session_is_refused(console_app, client_as):
    from sqlalchemy import update

    from runtime.console.db.models import LoginSession
    client = client_as("editor")
    db = console_app.extensions["console_db"]
    with db.sessions() as s, s.begin():
        s.execute(update(LoginSession).values(expires_at=dt.datetime(2000, 1, 1)))
    assert client.get("/fleet/").status_code == 302


def test_roles_viewer_cannot_read_the_audit_log(client_as):
    assert client_as("viewer").get("/audit").status_code == 403
    assert client_as("admin").get("/audit").status_code == 200


def test_adduser_reads_the_password_from_stdin_and_the_user_can_log_in(tmp_path, console_db_url):
    from runtime.console.app import create_app
    from runtime.console.settings import ConsoleSettings
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "runtime", "console", "adduser", "carol", "--role", "editor", "--data-dir", str(data)]
    if console_db_url:
        cmd += ["--db", console_db_url]
    done = subprocess.run(cmd, input=PASSWORD + "\n", text=True, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    short = subprocess.run(cmd, input="short\n", text=True, capture_output=True, timeout=120)
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    app = create_app(ConsoleSettings(data_dir=data, db_url=console_db_url))
    client = app.test_client()
    assert login(client, "carol").status_code == 302
    assert "carol (editor)" in client.get("/fleet/").get_data(as_text=True)
    if console_db_url is None:
        assert (data / "console.sqlite3").exists()
    app.extensions["console_db"].dispose()


def test_passwords_are_stored_hashed(console_app, make_user):
    from sqlalchemy import select

    from runtime.console.db.models import User
    make_user("dave", "viewer")
    with console_app.extensions["console_db"].sessions() as s:
        stored = s.scalar(select(User.password_hash).where(User.name == "dave"))
    assert PASSWORD not in stored and stored.startswith("scrypt:")


@pytest.mark.parametrize("console_db_url", [None], ids=["sqlite"])
def test_a_missing_test_tool_skips_on_a_developer_machine_and_fails_in_ci(console_db_url, monkeypatch, tmp_path):
    from _pytest.outcomes import Failed, Skipped

    from tests.console_fixtures import missing_tool, postgres_bin
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(Skipped, match="chromium absent"):
        missing_tool("chromium absent")
    monkeypatch.setenv("CI", "true")                    # as .ci/run sets it
    with pytest.raises(Failed, match="CI=true but chromium absent"):
        missing_tool("chromium absent")
    assert postgres_bin(tmp_path) is None
    for version in ("13", "16", "15"):
        (tmp_path / version / "bin").mkdir(parents=True)
        (tmp_path / version / "bin" / "initdb").touch()
    assert postgres_bin(tmp_path) == tmp_path / "16" / "bin"      # the newest, whatever Debian ships
