"""The service launcher and runtime slots, with real processes: a new version that becomes ready is
committed; one that crashes at start, crashes in a loop or never says READY is rolled back to the
version before; a kill -9 of the launcher at each of its steps is finished by its next start.
The "versions" are tiny slots whose `edge-avatar` is a script (READY=1 over sd_notify, or not)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.ops.service.launch_plan import Phase, Start, TrialRun, plan_start
from runtime.shared.durable_files import point_link_atomic
from runtime.shared.runtime_slots import (
    SlotFiles,
    SlotVerdict,
    Trial,
    read_verdict,
    write_trial,
)

REPO = Path(__file__).resolve().parents[1]

_SCRIPT = """#!{python}
import os, signal, socket, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
with open(os.environ["LAUNCH_LOG"], "a") as log:
    log.write("{version}\\n")
if "{mode}" == "crash":
    sys.exit(3)
parent = os.getppid()
if "{mode}" in ("good", "crash-after-ready"):
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(b"READY=1\\nSTATUS=on screen, listening", os.environ["NOTIFY_SOCKET"])
if "{mode}" == "crash-after-ready":
    sys.exit(4)
while os.getppid() == parent:          # ends with its launcher (a SIGKILLed launcher leaves no orphan)
    time.sleep(0.05)
"""


def _slot(data: Path, version: str, mode: str) -> Path:
    slot = data / "installs" / "runtime" / version
    exe = slot / "venv" / "bin" / "edge-avatar"
    exe.parent.mkdir(parents=True)
    exe.write_text(_SCRIPT.format(python=sys.executable, version=version, mode=mode))
    exe.chmod(0o755)
    return slot


def _fleet(tmp_path: Path, new_mode: str, **trial) -> tuple[Path, Path, Path]:
    """DATA with version 1.0 committed and running, and a trial of 2.0 behaving as `new_mode`."""
    data = tmp_path / "data"
    old = _slot(data, "1.0.0", "good")
    new = _slot(data, "2.0.0", new_mode)
    (data / "current").mkdir()
    point_link_atomic(SlotFiles(data).link, old)
    write_trial(SlotFiles(data), Trial("b" * 64, "2.0.0", str(new), str(old), **{"ready_deadline_s": 60.0,
                                                                              "settle_s": 0.5, **trial}))
    return data, old, new


def _launcher(data: Path, failpoint: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "LAUNCH_LOG": str(data / "ran.log")}
    env.pop("NOTIFY_SOCKET", None)
    env.pop("EDGE_AVATAR_FAILPOINT", None)
    if failpoint:
        env["EDGE_AVATAR_FAILPOINT"] = f"launcher-{failpoint}"
    return subprocess.Popen([sys.executable, "-m", "runtime.ops.service.launcher", "--data-dir", str(data),
                             "--base", "/nonexistent/edge-avatar", "--", "run"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _until(predicate, what: str, proc: subprocess.Popen | None = None, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the launcher ended ({proc.returncode}) before {what}:\n{proc.stdout.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.05)


def _ran(data: Path) -> list[str]:
    log = data / "ran.log"
    return log.read_text().split() if log.exists() else []


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    return out


def _settled(data: Path, outcome: str, running: Path) -> SlotVerdict:
    files = SlotFiles(data)
    verdict = read_verdict(files)
    assert verdict is not None and verdict.outcome == outcome, verdict
    assert files.current() == running.resolve()
    assert not files.trial_file.exists() and not files.launch_file.exists()
    return verdict


def test_a_new_version_that_becomes_ready_and_stays_up_is_committed(tmp_path):
    data, old, new = _fleet(tmp_path, "good")
    proc = _launcher(data)
    _until(lambda: read_verdict(SlotFiles(data)) is not None, "a verdict", proc)
    verdict = _settled(data, "committed", new)
    assert verdict.version == "2.0.0" and _ran(data) == ["2.0.0"]      # the new one kept running
    _stop(proc)
    again = _launcher(data)                                           # a plain restart: the committed one
    _until(lambda: _ran(data) == ["2.0.0", "2.0.0"], "a second start of 2.0.0", again)
    _stop(again)


@pytest.mark.parametrize("mode", ["crash", "crash-after-ready"])
def test_a_version_that_crashes_at_start_or_in_a_loop_is_rolled_back_after_its_starts(tmp_path, mode):
    data, old, new = _fleet(tmp_path, mode, max_starts=3, settle_s=30.0)
    proc = _launcher(data)
    _until(lambda: _ran(data)[-1:] == ["1.0.0"], "the old version running again", proc)
    verdict = _settled(data, "rolled-back", old)
    assert _ran(data) == ["2.0.0"] * 3 + ["1.0.0"]
    assert "exited with" in verdict.detail and "3 starts" not in verdict.detail or "cannot start" in verdict.detail
    _stop(proc)


def test_a_version_that_starts_but_never_says_ready_is_stopped_and_rolled_back(tmp_path):
    data, old, new = _fleet(tmp_path, "silent", ready_deadline_s=2.0)
    proc = _launcher(data)
    _until(lambda: _ran(data)[-1:] == ["1.0.0"], "the old version running again", proc)
    verdict = _settled(data, "rolled-back", old)
    assert "not ready" in verdict.detail and _ran(data) == ["2.0.0", "1.0.0"]
    _stop(proc)


@pytest.mark.parametrize("failpoint", ["counted", "switched", "judged", "applied"])
@pytest.mark.parametrize("mode", ["good", "crash"])
def test_kill_9_of_the_launcher_at_each_step_is_finished_by_its_next_start(tmp_path, failpoint, mode):
    data, old, new = _fleet(tmp_path, mode, max_starts=2)
    killed = _launcher(data, failpoint)
    killed.communicate(timeout=120)
    if killed.returncode != -signal.SIGKILL:
        pytest.fail(f"the launcher did not reach {failpoint} (exit {killed.returncode})")
    files = SlotFiles(data)
    assert files.current() in (old.resolve(), new.resolve())           # a whole slot, never between
    started = len(_ran(data))
    proc = _launcher(data)
    _until(lambda: read_verdict(files) is not None and not files.trial_file.exists(), "a verdict", proc)
    running = new if mode == "good" else old
    _settled(data, "committed" if mode == "good" else "rolled-back", running)
    _until(lambda: len(_ran(data)) > started and _ran(data)[-1] == running.name, f"{running.name} running", proc)
    _stop(proc)


def test_the_plan_counts_starts_and_judges_a_trial_on_its_deadlines():
    trial = Trial("b" * 64, "2.0.0", "/slots/2", "/slots/1", ready_deadline_s=10.0, settle_s=5.0, max_starts=2)
    assert plan_start(None, None, 0)[0] is Start.CURRENT
    assert plan_start(trial, None, 1)[0] is Start.TRIAL and plan_start(trial, None, 2)[0] is Start.ROLL_BACK
    assert plan_start(trial, SlotVerdict("b" * 64, "2.0.0", "committed"), 2)[0] is Start.FINISH
    action, why = plan_start(trial, None, 0, slot_ready=False)          # never run the base as the trial
    assert action is Start.ROLL_BACK and "no edge-avatar" in why
    run = TrialRun(trial, started_at=100.0)
    run.tick(109.0)
    assert run.phase is Phase.STARTING and run.wait_s(109.0) == 1.0
    run.ready(109.5)
    run.tick(114.0)
    assert run.phase is Phase.SETTLING
    run.tick(114.5)
    assert run.phase is Phase.PASSED and run.over
    late = TrialRun(trial, started_at=0.0)
    late.tick(10.0)
    assert late.phase is Phase.NOT_READY and "within 10 s" in late.detail
    late.ready(11.0)                                                   # too late: no move out of a verdict
    assert late.phase is Phase.NOT_READY
    with pytest.raises(ValueError, match="max_starts >= 1"):
        Trial("b" * 64, "2.0.0", "/a", None, max_starts=0)


def test_the_launcher_passes_the_kiosks_sd_notify_messages_on_to_systemd(tmp_path):
    """Under systemd (NOTIFY_SOCKET set) what the running version says reaches the service manager."""
    import socket
    data, old, new = _fleet(tmp_path, "good")
    upstream = tmp_path / "systemd.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(upstream))
        sock.settimeout(120)
        env = {**os.environ, "PYTHONPATH": str(REPO), "LAUNCH_LOG": str(data / "ran.log"),
               "NOTIFY_SOCKET": str(upstream)}
        env.pop("EDGE_AVATAR_FAILPOINT", None)
        proc = subprocess.Popen([sys.executable, "-m", "runtime.ops.service.launcher", "--data-dir", str(data),
                                 "--base", "/nonexistent/edge-avatar", "--", "run"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            message = sock.recv(4096).decode()
        finally:
            _until(lambda: read_verdict(SlotFiles(data)) is not None, "a verdict", proc)
            _stop(proc)
    assert message.startswith("READY=1") and "listening" in message


def test_a_stop_that_comes_while_a_version_is_being_started_reaches_it(tmp_path):
    """SIGTERM between the fork and `self.child` being set (seen under load in CI): the signal
    handler forwarded it to the previous, finished child; the new one must still be stopped."""
    from runtime.ops.service.launcher import Launcher, NotifyProxy
    data = tmp_path / "data"
    slot = _slot(data, "1.0.0", "good")
    (data / "current").mkdir()
    point_link_atomic(SlotFiles(data).link, slot)
    os.environ["LAUNCH_LOG"] = str(data / "ran.log")
    proxy = NotifyProxy(None)
    try:
        launcher = Launcher(data, ["run"], Path("/nonexistent/edge-avatar"), proxy)
        launcher.stopping = True
        child = launcher._start()
        assert child.wait(60) in (0, -signal.SIGTERM)     # stopped (before or after its handler is set)
    finally:
        os.environ.pop("LAUNCH_LOG", None)
        proxy.close()
