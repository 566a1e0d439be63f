"""`make console-demo` (scripts/console_demo.sh) as a new, non-root user runs it: PATH=/usr/bin:/bin, so
Debian's /usr/sbin/mosquitto is not on it. The script must find the broker, wait for it, start two
simulated kiosks and the console; the console answers /healthz, a login works and the devices table
shows both kiosks online. Stopped as Ctrl-C would (a signal to the script's process group)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.mosquitto import free_port

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "console_demo.sh"


def _poll(predicate, timeout: float, what: str, proc: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the demo script exited ({proc.returncode}) before {what}:\n{log.read_text()[-3000:]}")
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}:\n{log.read_text()[-3000:]}")


def _get_ok(url: str, session: requests.Session | None = None):
    try:
        r = (session or requests).get(url, timeout=5)
    except requests.RequestException:
        return None
    return r if r.status_code == 200 else None


def test_console_demo_runs_for_a_user_without_sbin_on_path(tmp_path):
    console_port = free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "VENV": sys.prefix, "DEMO": str(tmp_path / "demo"),
           "MQTT_PORT": str(free_port()), "CONSOLE_PORT": str(console_port),
           "CONSOLE_USER": "demo-admin", "CONSOLE_PASSWORD": "a demo password"}
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["bash", str(SCRIPT)], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=_as_a_terminal_starts_it)
    base = f"http://127.0.0.1:{console_port}"
    try:
        _poll(lambda: _get_ok(f"{base}/healthz"), 180, "/healthz answering 200", proc, log)
        s = requests.Session()
        page = s.get(f"{base}/login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        r = s.post(f"{base}/login", data={"name": "demo-admin", "password": "a demo password", "csrf_token": token},
                   allow_redirects=False, timeout=10)
        assert r.status_code == 302, r.text[:500]

        def both_online():
            r = _get_ok(f"{base}/fleet/devices.json", s)
            rows = r.json()["rows"].values() if r is not None else []
            online = [row for row in rows if "demo" in row["groups"] and row["online"]]
            return online if len(online) == 2 else None
        _poll(both_online, 120, "the two simulated kiosks online in the devices table", proc, log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)           # Ctrl-C: the script stops the broker and kiosks
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                group = _group_state(proc.pid)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                pytest.fail(f"the demo did not stop on Ctrl-C:\n{group}\n{log.read_text()[-3000:]}")
    # nothing of the demo is left running in its process group
    with pytest.raises(ProcessLookupError):
        _poll_gone(proc.pid)


def _as_a_terminal_starts_it() -> None:
    """A shell started from a terminal has Ctrl-C's signal at its default; a test runner started in
    the background may pass it on ignored, and bash cannot trap a signal ignored on entry."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def _group_state(pgid: int) -> str:
    """What each process of the demo's group is doing (for a failure's message)."""
    ps = subprocess.run(["ps", "-o", "pid,stat,wchan:20,args", "-g", str(pgid)], capture_output=True, text=True)
    masks = []
    for line in ps.stdout.splitlines()[1:]:
        pid = line.split()[0]
        try:
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        masks.append(pid + " " + " ".join(s.replace("\t", "") for s in status if s.startswith(("SigBlk", "SigIgn", "SigCgt"))))
    return ps.stdout + "\n".join(masks)


def _poll_gone(pgid: int, timeout: float = 30.0) -> None:
    """Raise ProcessLookupError once no process of the group is left (fails the test if some stay)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        os.killpg(pgid, 0)                               # raises ProcessLookupError when the group is empty
        time.sleep(0.1)
    pytest.fail(f"processes of the demo's group {pgid} still running after Ctrl-C")
