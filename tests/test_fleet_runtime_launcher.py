"""The service launcher and runtime slots, with real processes: a new version that becomes ready is
committed; one that crashes at start, crashes in a loop or never says READY is rolled back to the
version before; a kill -9 of the launcher at each of its steps is finished by its next start.
The "versions" are tiny slots whose `edge-avatar` is a script saying over sd_notify what the kiosk says
(listening, rendering, READY=1, fleet connected), or only some of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.ops.service.launch_plan import (
    Check,
    Phase,
    Start,
    TrialRun,
    checks_in,
    plan_start,
)
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
time.sleep(float(os.environ.get("STAND_IN_LOAD_S", "0")))     # loading its models: silent
def say(*lines):
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto("\\n".join(lines).encode(), os.environ["NOTIFY_SOCKET"])
if "{mode}" in ("good", "crash-after-ready", "never-connects", "never-renders"):
    say("X_EDGE_AVATAR_LISTENING=1")                # as the kiosk: each health line once it holds
if "{mode}" in ("good", "crash-after-ready", "never-connects"):
    say("X_EDGE_AVATAR_RENDERING=1")
    say("READY=1", "STATUS=on screen, listening")
if "{mode}" == "good":
    say("X_EDGE_AVATAR_FLEET=connected")
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


def _trial_over(data: Path) -> bool:
    """As the agent reads it (fleet/runtime_slot.py): the verdict is written first, and the trial is
    over only once its file is gone too."""
    files = SlotFiles(data)
    return read_verdict(files) is not None and not files.trial_file.exists()


def _settled(data: Path, outcome: str, running: Path) -> SlotVerdict:
    files = SlotFiles(data)
    verdict = read_verdict(files)
    assert verdict is not None and verdict.outcome == outcome, verdict
    assert files.current() == running.resolve()
    assert not files.trial_file.exists() and not files.launch_file.exists()
    return verdict


def _next_start_finishes(data: Path, old: Path, new: Path, mode: str) -> None:
    """After a cut at any step: a whole slot runs, and the next launcher start settles the trial."""
    files = SlotFiles(data)
    assert files.current() in (old.resolve(), new.resolve())           # a whole slot, never between
    started = len(_ran(data))
    proc = _launcher(data)
    _until(lambda: _trial_over(data), "a verdict", proc)
    running = new if mode == "good" else old
    _settled(data, "committed" if mode == "good" else "rolled-back", running)
    _until(lambda: len(_ran(data)) > started and _ran(data)[-1] == running.name, f"{running.name} running", proc)
    _stop(proc)


def test_a_new_version_that_becomes_ready_and_stays_up_is_committed(tmp_path):
    data, old, new = _fleet(tmp_path, "good")
    proc = _launcher(data)
    _until(lambda: _trial_over(data), "a verdict", proc)
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


@pytest.mark.parametrize("mode, require_fleet, failed", [
    ("never-renders", False, "not rendering (no frame drawn)"),
    ("never-connects", True, "fleet not connected"),
])
def test_a_version_that_fails_one_health_check_is_rolled_back_naming_it(tmp_path, mode, require_fleet, failed):
    """Listening but nothing drawn; or on screen and listening, but its embedded fleet agent never
    connects: stopped at the deadline and rolled back, the verdict naming the check that failed."""
    data, old, new = _fleet(tmp_path, mode, ready_deadline_s=3.0, require_fleet=require_fleet)
    proc = _launcher(data)
    _until(lambda: _ran(data)[-1:] == ["1.0.0"], "the old version running again", proc)
    verdict = _settled(data, "rolled-back", old)
    assert failed in verdict.detail and _ran(data) == ["2.0.0", "1.0.0"], verdict.detail
    assert "not listening" not in verdict.detail
    _stop(proc)


def test_a_kiosk_with_no_fleet_configured_is_not_required_to_connect(tmp_path):
    """A kiosk run without --fleet-broker (the trial does not require the fleet): listening and
    rendering are its health check."""
    data, old, new = _fleet(tmp_path, "never-connects")
    proc = _launcher(data)
    _until(lambda: _trial_over(data), "a verdict", proc)
    verdict = _settled(data, "committed", new)
    assert "listening, rendering and up" in verdict.detail
    _stop(proc)


@pytest.mark.parametrize("failpoint", ["counted", "switched", "judged", "applied"])
@pytest.mark.parametrize("mode", ["good", "crash"])
def test_kill_9_of_the_launcher_at_each_step_is_finished_by_its_next_start(tmp_path, failpoint, mode):
    data, old, new = _fleet(tmp_path, mode, max_starts=2)
    killed = _launcher(data, failpoint)
    killed.communicate(timeout=120)
    if killed.returncode != -signal.SIGKILL:
        pytest.fail(f"the launcher did not reach {failpoint} (exit {killed.returncode})")
    _next_start_finishes(data, old, new, mode)


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
    run.checked({Check.LISTENING}, 109.2)
    assert run.phase is Phase.STARTING                                 # listening, but nothing drawn yet
    run.checked(checks_in("READY=1\nX_EDGE_AVATAR_RENDERING=1"), 109.5)
    run.tick(114.0)
    assert run.phase is Phase.SETTLING
    run.tick(114.5)
    assert run.phase is Phase.PASSED and run.over
    late = TrialRun(trial, started_at=0.0)
    late.tick(10.0)
    assert late.phase is Phase.NOT_READY and "within 10 s" in late.detail
    assert "not listening" in late.detail and "not rendering" in late.detail and "fleet" not in late.detail
    late.checked({Check.LISTENING, Check.RENDERING}, 11.0)             # too late: no move out of a verdict
    assert late.phase is Phase.NOT_READY
    fleet = TrialRun(Trial("b" * 64, "2.0.0", "/s/2", "/s/1", ready_deadline_s=10.0, require_fleet=True), 0.0)
    fleet.checked({Check.LISTENING, Check.RENDERING}, 1.0)
    assert fleet.phase is Phase.STARTING                               # an embedded agent must connect too
    fleet.tick(10.0)
    assert fleet.phase is Phase.NOT_READY and fleet.detail.endswith(Check.FLEET.failure)
    assert "listening" not in fleet.detail.split(":", 1)[1]
    with pytest.raises(ValueError, match="max_starts >= 1"):
        Trial("b" * 64, "2.0.0", "/a", None, max_starts=0)


def _under_systemd(tmp_path: Path, data: Path, readies: int = 1, **env_extra: str) -> list[str]:
    """Run the launcher with a stand-in systemd notify socket until it has passed on `readies`
    READY=1 messages; every message the socket got, in order."""
    import socket
    upstream = tmp_path / "systemd.sock"
    got: list[str] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(upstream))
        sock.settimeout(120)
        env = {**os.environ, "PYTHONPATH": str(REPO), "LAUNCH_LOG": str(data / "ran.log"),
               "NOTIFY_SOCKET": str(upstream), **env_extra}
        env.pop("EDGE_AVATAR_FAILPOINT", None)
        proc = subprocess.Popen([sys.executable, "-m", "runtime.ops.service.launcher", "--data-dir", str(data),
                                 "--base", "/nonexistent/edge-avatar", "--", "run"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            while sum(m.startswith("READY=1") for m in got) < readies:
                got.append(sock.recv(4096).decode())
        finally:
            _until(lambda: _trial_over(data), "a verdict", proc)
            _stop(proc)
    return got


def test_the_launcher_passes_the_kiosks_sd_notify_messages_on_to_systemd(tmp_path):
    """Under systemd (NOTIFY_SOCKET set) what the running version says reaches the service manager."""
    data, old, new = _fleet(tmp_path, "good")
    said = _under_systemd(tmp_path, data)
    assert said[-1].startswith("READY=1") and "listening" in said[-1]
    assert {"X_EDGE_AVATAR_LISTENING=1", "X_EDGE_AVATAR_RENDERING=1"} <= set(said)


def test_the_launcher_keeps_systemds_watchdog_fed_and_start_extended_while_a_trial_restarts(tmp_path):
    """WatchdogSec runs once the unit is active (the trial's first READY=1): a version that crashes
    after READY is started again and loads for longer than the watchdog allows, then the old one is
    started again. The launcher pings WATCHDOG=1 for each silent start, and extends the start timeout
    (TimeoutStartSec) before the first READY=1, so systemd never ends it mid-trial."""
    data, old, new = _fleet(tmp_path, "crash-after-ready", max_starts=2, settle_s=30.0, ready_deadline_s=60.0)
    got = _under_systemd(tmp_path, data, 3, WATCHDOG_USEC="2000000", STAND_IN_LOAD_S="3")
    assert _ran(data) == ["2.0.0", "2.0.0", "1.0.0"]                  # READY=1 from each, the first makes it active
    readies = [i for i, m in enumerate(got) if m.startswith("READY=1")]
    extends = [int(m.split("=")[1]) for m in got[:readies[0]] if m.startswith("EXTEND_TIMEOUT_USEC=")]
    assert extends and min(extends) > 30e6 and max(extends) <= (60 + 1 + 30) * 1e6   # to the trial's deadline
    silent_restarts = got[readies[0] + 1:readies[2]]                   # 2.0.0 again, then 1.0.0: each silent 3 s
    assert silent_restarts.count("WATCHDOG=1") >= 2, silent_restarts
    _settled(data, "rolled-back", old)


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


def test_an_embedded_agent_says_fleet_connected_when_its_link_to_a_real_broker_comes_up(tmp_path):
    """The kiosk's side of the fleet check: the agent's MQTT link, through the kiosk's StartupHealth,
    becomes the sd_notify line the launcher judges; and an embedded agent's trial requires it."""
    from fleet.agent import MqttAgent
    from fleet.agent_core import Identity
    from fleet.broker import BrokerConfig
    from fleet.device_control import StandaloneControl
    from fleet.runtime_slot import RuntimeSlots, TrialTimes
    from runtime.ops.service.notifier import SystemdNotifier
    from runtime.ops.service.startup_health import StartupHealth
    from runtime.shared.runtime_slots import read_trial
    from tests.fleet_fixtures import RecordingHealthCheck, keys
    from tests.mosquitto import mosquitto

    sent: list[str] = []
    health = StartupHealth(SystemdNotifier(None, send=sent.append), "listening (en)")
    health.tick(listening=True, rendering=False)
    assert sent == ["X_EDGE_AVATAR_LISTENING=1"] and not health.ready       # nothing drawn yet: no READY=1
    health.tick(listening=True, rendering=True)
    health.tick(listening=True, rendering=True)
    assert sent[1:] == ["X_EDGE_AVATAR_RENDERING=1", "READY=1\nSTATUS=listening (en)"]   # each once
    _, _, trusted = keys(tmp_path)
    data = tmp_path / "data"
    with mosquitto(tmp_path) as url:
        agent = MqttAgent(Identity("kiosk-link", ("g",), "Mall A"), BrokerConfig.from_args(url), data, trusted,
                          StandaloneControl(data), RecordingHealthCheck(), on_link=health.fleet_link,
                          trial_times=TrialTimes(require_fleet=True))
        agent.start()
        try:
            _until(lambda: "X_EDGE_AVATAR_FLEET=connected" in sent, "the fleet line")
        finally:
            agent.stop()
    assert checks_in(sent[-1]) == {Check.FLEET}
    RuntimeSlots(data, TrialTimes(require_fleet=True)).request_trial("c" * 64, "3.0.0", tmp_path / "slot")
    assert read_trial(SlotFiles(data)).require_fleet
