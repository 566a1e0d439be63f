"""Fixtures of the console's tests (import them: `from tests.console_fixtures import *`).

- `console_db_url`: parametrised, the test runs on SQLite (a file in tmp_path) AND on a real PostgreSQL
  (`postgres_server`: Debian's newest /usr/lib/postgresql/*/bin, initdb + pg_ctl into a temp dir on a free
  port, as the `postgres` user when the tests run as root; skipped with the reason if the binaries are
  absent — and FAILED instead in CI (CI=true, set by .ci/run), like a missing chromium: nothing the issue
  asks CI to run may pass as a skip there).
- `console_app` (a Flask app on that database with a FakeFleetService), `fake_fleet`,
  `make_user(name, role)`, `client_as(role)` -> a logged-in Flask test client (CSRF on).
- `live_console(app)`: the app served by waitress on a free port (a thread), yields its base URL.
- `browser`: headless Chromium (Debian's chromium + chromedriver) through Selenium; `browser_login`.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.mosquitto import free_port

PASSWORD = "correct-horse-battery"


def missing_tool(reason: str) -> None:
    """A tool a test needs is absent: skip on a developer's machine, FAIL in CI (CI=true, .ci/run), where
    every tool is installed by `make test` and a skip would hide a test that never ran."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def postgres_bin(root: Path = Path("/usr/lib/postgresql")) -> Path | None:
    """The newest installed PostgreSQL's binaries (Debian: /usr/lib/postgresql/VERSION/bin), or None."""
    found = [p.parent for p in root.glob("*/bin/initdb")]
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else -1, default=None)


# ---- databases ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_server():
    """A private PostgreSQL for the session; yields a URL of a server where `createdb` can be run."""
    pg_bin = postgres_bin()
    if pg_bin is None:
        missing_tool("PostgreSQL binaries absent (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql")
    root = os.geteuid() == 0
    user = "postgres" if root else getpass.getuser()
    folder = Path(tempfile.mkdtemp(prefix="console-pg-"))
    data = folder / "data"
    if root:
        shutil.chown(folder, user)
    run = (lambda cmd: ["runuser", "-u", user, "--", *cmd]) if root else (lambda cmd: cmd)
    port = free_port()
    subprocess.run(run([str(pg_bin / "initdb"), "-D", str(data), "-U", "console", "--auth=trust", "-E", "UTF8"]),
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(run([str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "60",
                        "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]),
                   check=True, stdout=subprocess.DEVNULL)
    try:
        yield {"host": "127.0.0.1", "port": port, "user": "console"}
    finally:
        subprocess.run(run([str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)


def _fresh_postgres_db(server: dict, name: str) -> str:
    import psycopg
    with psycopg.connect(host=server["host"], port=server["port"], user=server["user"], dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://{server['user']}@{server['host']}:{server['port']}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def console_db_url(request, tmp_path):
    if request.param == "sqlite":
        return None                      # the default: console.sqlite3 in the data dir
    server = request.getfixturevalue("postgres_server")
    name = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    return _fresh_postgres_db(server, name)


# ---- the app ------------------------------------------------------------------------------------------
@pytest.fixture
def fake_fleet():
    from runtime.console.fleet_area.service import FakeFleetService
    return FakeFleetService()


@pytest.fixture
def console_settings(tmp_path, console_db_url):
    from runtime.console.settings import ConsoleSettings
    return ConsoleSettings(data_dir=tmp_path / "console", db_url=console_db_url)


@pytest.fixture
def console_app(console_settings, fake_fleet):
    from runtime.console.app import create_app
    console_settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(console_settings, fleet=fake_fleet)
    app.config["TESTING"] = True          # CSRF stays on: tests send the token like a browser does
    yield app
    app.extensions["console_db"].dispose()


@pytest.fixture
def make_user(console_app):
    def make(name: str, role: str, password: str = PASSWORD):
        from runtime.console.audit import utcnow
        from runtime.console.auth.roles import Role
        from runtime.console.auth.users import add_user
        db = console_app.extensions["console_db"]
        with db.sessions() as s, s.begin():
            add_user(s, name, password, Role.parse(role), utcnow())
        return name
    return make


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def login(client, name: str, password: str = PASSWORD):
    token = csrf_of(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token})


@pytest.fixture
def client_as(console_app, make_user):
    """client_as("admin") -> a test client logged in as a new user of that role; `.csrf` holds a token."""
    def make(role: str):
        client = console_app.test_client()
        name = make_user(f"{role}-user", role)
        assert login(client, name).status_code == 302
        client.csrf = csrf_of(client.get("/fleet/").get_data(as_text=True))
        return client
    return make


# ---- a served console and a browser --------------------------------------------------------------------
@contextmanager
def live_console(app, threads: int = 16):
    """Serve `app` with waitress on a free loopback port in a thread; yields http://127.0.0.1:PORT."""
    from waitress.server import create_server
    server = create_server(app, host="127.0.0.1", port=free_port(), threads=threads)
    thread = threading.Thread(target=server.run, name="console-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        from waitress import wasyncore

        from runtime.console.app import close_app
        close_app(app)                                  # open event streams end...
        server.task_dispatcher.shutdown(timeout=30)     # ...so the workers finish
        channels = dict(server._map)
        server._map.clear()                             # the server's loop ends at its next turn...
        thread.join(timeout=30)
        wasyncore.close_all(channels)                   # ...and only then are its sockets closed


def chromium_paths() -> tuple[str | None, str | None]:
    return (shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver"))


def chromium(profile: Path):
    """Headless Chromium (Debian's chromium + chromedriver) through Selenium, a fresh profile in `profile`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    chrome, driver_path = chromium_paths()
    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1400,900", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    return driver


@pytest.fixture
def browser(tmp_path):
    chrome, driver_path = chromium_paths()
    if not (chrome and driver_path):
        missing_tool("chromium / chromedriver absent: apt-get install chromium chromium-driver")
    driver = chromium(tmp_path / "chromium-profile")
    try:
        yield driver
    finally:
        driver.quit()


def browser_login(driver, base: str, name: str, password: str = PASSWORD) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()
    WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.ID, "who")))


REPLACED_NODE = "does not belong to the document"


def page_wait(driver, timeout: float):
    """A WebDriverWait that waits through the page being replaced while a condition reads it: an element
    found in the old document and read after a form post's reload landed is a StaleElementReference, a
    NoSuchElement, or (Chrome, when the reload lands between finding and reading it) a plain
    WebDriverException "Node with given id does not belong to the document" (seen under load in CI).
    Any other error of the browser still fails the test at once."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    class PageWait(WebDriverWait):
        def until(self, method, message: str = ""):
            def read(d):
                try:
                    return method(d)
                except WebDriverException as err:
                    if REPLACED_NODE in (err.msg or ""):
                        return False
                    raise
            return super().until(read, message)

    return PageWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))


# ---- a real broker and simulated kiosks ------------------------------------------------------------------
@pytest.fixture(scope="module")
def console_broker(tmp_path_factory):
    """A private Mosquitto for the module (tests/mosquitto.py), its mqtt:// URL."""
    from tests.mosquitto import mosquitto
    with mosquitto(tmp_path_factory.mktemp("console-mosquitto")) as url:
        yield url


@contextmanager
def simulated_kiosks(broker_url: str, count: int, prefix: str, failing=(), telemetry_interval_s: float = 60.0,
                     group: str | None = None):
    """fleet/simulator.py's kiosks (ids PREFIX-0000..., group `group` or PREFIX), stepped on a thread."""
    from fleet.broker import BrokerConfig
    from fleet.simulator import FleetSimulator
    sim = FleetSimulator(BrokerConfig.from_args(broker_url), count, group=group or prefix, prefix=prefix,
                         failing={f"{prefix}-{i:04d}" for i in failing}, telemetry_interval_s=telemetry_interval_s)
    sim.connect()
    stop = threading.Event()
    thread = threading.Thread(target=lambda: [sim.step(0.02) for _ in iter(stop.is_set, True)],
                              name="console-test-sim", daemon=True)
    thread.start()
    try:
        yield sim
    finally:
        stop.set()
        thread.join(10)
        sim.close()


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    """Poll `predicate` until true (generous timeout; the test fails with `what` otherwise)."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
