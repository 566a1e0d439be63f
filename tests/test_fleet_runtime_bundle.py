"""Runtime bundles (the kiosk's own software, A/B): built from a wheel and a dependency lock, signed and
checked like every kind, prepared in a new virtual environment beside the running one (real venvs,
real pip, offline), judged by the real launcher process, and rolled back when the new version
crashes at start or never says READY. A kill -9 at each installer step leaves the running slot
untouched and a trial that is either absent or whole."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fleet import runtime_bundle
from fleet.bundle_verifier import BundleVerifier
from fleet.errors import BundleRejected
from fleet.install_state import InstallState
from fleet.installer import BundleInstaller
from fleet.runtime_bundle import build_runtime_bundle
from fleet.runtime_slot import RuntimeSlots, TrialTimes, slot_env
from runtime.shared.runtime_slots import (
    SlotFiles,
    SlotVerdict,
    read_trial,
    read_verdict,
    write_verdict,
)
from tests.fleet_fixtures import NOW, RecordingHealthCheck, keys
from tests.runtime_wheels import stand_in_wheel

REPO = Path(__file__).resolve().parents[1]
QUICK = TrialTimes(ready_deadline_s=60.0, settle_s=0.5, max_starts=2)


def _bundle(tmp: Path, key: Path, version: str, mode: str = "good", requires: tuple[str, ...] = (), **kw) -> Path:
    out = tmp / f"runtime-{version}-{mode}.bundle"
    wheel = stand_in_wheel(tmp / f"wheels-{version}-{mode}", version, mode, requires)
    build_runtime_bundle(tmp, version, key, out, wheel=wheel, now=kw.pop("now", NOW), **kw)
    return out


def _installer(data: Path, trusted, times: TrialTimes = QUICK) -> BundleInstaller:
    return BundleInstaller(data, BundleVerifier(trusted), RecordingHealthCheck(),
                           runtime_slots=RuntimeSlots(data, times))


def _launch(data: Path, *args: str, base: str = "/nonexistent/edge-avatar") -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("NOTIFY_SOCKET", None)
    return subprocess.Popen([sys.executable, "-m", "runtime.ops.service.launcher", "--data-dir", str(data),
                             "--base", base, "--", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _judged(data: Path, proc: subprocess.Popen, timeout: float = 180.0) -> SlotVerdict:
    """Wait for the launcher's verdict (its trial file gone), then stop it."""
    files = SlotFiles(data)
    deadline = time.monotonic() + timeout
    while read_verdict(files) is None or files.trial_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"no verdict from the launcher (exit {proc.returncode}):\n{proc.communicate()[0]}")
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    return read_verdict(files)


def _trial_installed(installer: BundleInstaller, bundle: Path, bundle_id: str, version: str) -> Path:
    r = installer.install(bundle, bundle_id, "runtime", NOW)
    assert (r.state, r.version, r.restart) == (InstallState.INSTALLING, version, True)
    trial = read_trial(SlotFiles(installer.data))
    assert trial.bundle_id == bundle_id and Path(trial.to).name == version
    return Path(trial.to)


def test_a_runtime_bundle_moves_a_kiosk_to_b_and_back_when_b_crashes_or_never_listens(tmp_path):
    key, _, trusted = keys(tmp_path)
    data = tmp_path / "data"
    installer = _installer(data, trusted)
    files = SlotFiles(data)
    # A: from the base install to 1.0.0
    slot_a = _trial_installed(installer, _bundle(tmp_path, key, "1.0.0"), "a" * 64, "1.0.0")
    py = slot_a / "venv" / "bin" / "python"
    where = subprocess.run([str(py), "-c", "import runtime, cryptography; print(runtime.__file__, runtime.__version__)"],
                           capture_output=True, text=True, check=True, env=slot_env(), cwd=data).stdout
    assert where.startswith(str(slot_a)) and "1.0.0" in where          # its own code, the base's dependencies
    assert files.current() is None                                      # nothing switched before the launcher
    assert _judged(data, _launch(data, "run")).outcome == "committed"
    assert installer.finish_runtime() and installer.versions() == {"runtime": "1.0.0"}
    assert files.current() == slot_a.resolve()
    # B crashes at start: started max_starts times, then back on A
    _trial_installed(installer, _bundle(tmp_path, key, "2.0.0", "crash"), "b" * 64, "2.0.0")
    verdict = _judged(data, _launch(data, "run"))
    assert verdict.outcome == "rolled-back" and "2 starts" in verdict.detail
    installer.finish_runtime()
    assert installer.versions() == {"runtime": "1.0.0"} and files.current() == slot_a.resolve()
    assert installer.refusal("b" * 64)["reason"] == "health-check-failed"
    assert not (data / "installs" / "runtime" / "2.0.0").exists()
    # C starts but never says READY: stopped at its deadline, back on A
    installer.runtime_slots.times = TrialTimes(ready_deadline_s=2.0, settle_s=0.5, max_starts=2)
    _trial_installed(installer, _bundle(tmp_path, key, "3.0.0", "silent"), "c" * 64, "3.0.0")
    verdict = _judged(data, _launch(data, "run"))
    assert verdict.outcome == "rolled-back" and "not ready" in verdict.detail
    installer.finish_runtime()
    assert installer.versions() == {"runtime": "1.0.0"} and files.current() == slot_a.resolve()
    assert installer.refusal("c" * 64)["detail"] == verdict.detail


def test_runtime_bundles_are_checked_like_every_kind_before_a_slot_is_built(tmp_path, monkeypatch):
    key, _, trusted = keys(tmp_path)
    other_key, _, _ = keys(tmp_path, "other")
    data = tmp_path / "data"
    installer = _installer(data, trusted)
    _trial_installed(installer, _bundle(tmp_path, key, "2.0.0"), "a" * 64, "2.0.0")
    write_verdict(SlotFiles(data), SlotVerdict("a" * 64, "2.0.0", "committed", "stand-in"))  # the launcher's part
    SlotFiles(data).trial_file.unlink()
    installer.recover()
    assert installer.versions() == {"runtime": "2.0.0"}
    cases = {"downgrade": (_bundle(tmp_path, key, "1.9.0"), NOW),
             "untrusted-key": (_bundle(tmp_path, other_key, "2.1.0", "good"), NOW),
             "expired": (_bundle(tmp_path, key, "2.2.0", valid_days=1), NOW + dt.timedelta(days=3))}
    for n, (reason, (bundle, now)) in enumerate(cases.items()):
        with pytest.raises(BundleRejected) as err:
            installer.install(bundle, f"{n}" * 64, "runtime", now)
        assert err.value.reason == reason
    monkeypatch.setattr(runtime_bundle, "dependency_lock", lambda wheel: "cryptography==0.0.1\n")
    with pytest.raises(BundleRejected) as err:                         # a declared dependency at another version
        installer.install(_bundle(tmp_path, key, "2.3.0", requires=("cryptography>=42",)), "d" * 64, "runtime", NOW)
    assert err.value.reason == "incompatible" and "cryptography==0.0.1" in err.value.detail
    assert read_trial(SlotFiles(data)) is None and installer.versions() == {"runtime": "2.0.0"}
    assert sorted(p.name for p in (data / "installs" / "runtime").iterdir()) == ["2.0.0"]


_CHILD = """
import sys
from pathlib import Path
from fleet.bundle_keys import TrustedKeys
from fleet.bundle_verifier import BundleVerifier
from fleet.installer import BundleInstaller, HealthResult
from fleet.runtime_slot import RuntimeSlots
from tests.fleet_fixtures import NOW
data, pub, bundle = map(Path, sys.argv[1:4])
inst = BundleInstaller(data, BundleVerifier(TrustedKeys.from_files([pub])), lambda k, p: HealthResult(True),
                       runtime_slots=RuntimeSlots(data))
inst.recover()
print(inst.install(bundle, sys.argv[4], "runtime", NOW).state)
"""


@pytest.mark.parametrize("failpoint", ["attempt-counted", "staged", "unpacked", "prepared", "trial-written",
                                       "verdict-taken"])
def test_kill_9_at_every_runtime_install_step_leaves_the_running_slot_and_a_whole_trial_or_none(tmp_path, failpoint):
    key, pub, trusted = keys(tmp_path)
    data = tmp_path / "data"
    bundle = _bundle(tmp_path, key, "1.0.0")
    env = {**os.environ, "PYTHONPATH": str(REPO), "EDGE_AVATAR_FAILPOINT": failpoint}
    if failpoint == "verdict-taken":                    # the step that takes the launcher's verdict in
        _trial_installed(_installer(data, trusted), bundle, "a" * 64, "1.0.0")
        write_verdict(SlotFiles(data), SlotVerdict("a" * 64, "1.0.0", "committed", "stand-in"))
        SlotFiles(data).trial_file.unlink()
        code = "from tests.test_fleet_runtime_bundle import _finish; _finish(__import__('sys').argv[1])"
        cmd = [sys.executable, "-c", code, str(data), str(pub)]
    else:
        cmd = [sys.executable, "-c", _CHILD, str(data), str(pub), str(bundle), "a" * 64]
    killed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    installer = _installer(data, trusted)
    installer.recover()
    assert SlotFiles(data).current() is None                       # the base install still runs
    trial = read_trial(SlotFiles(data))
    if trial is not None:                                          # whole, or not there at all
        assert (Path(trial.to) / "venv" / "bin" / "edge-avatar").exists()
    if failpoint == "verdict-taken":
        assert installer.versions() == {"runtime": "1.0.0"} and read_verdict(SlotFiles(data)) is None
        return
    r = installer.install(bundle, "a" * 64, "runtime", NOW)        # the agent comes back and finishes
    assert r.state == InstallState.INSTALLING
    trial = read_trial(SlotFiles(data))
    done = subprocess.run([str(Path(trial.to) / "venv" / "bin" / "python"), "-c", "import runtime; print(runtime.__version__)"],
                          capture_output=True, text=True, check=True, env=slot_env(), cwd=data)
    assert done.stdout.strip() == "1.0.0"


def _finish(data: str) -> None:
    """In a child process: take the verdict in, with the verdict-taken fail point armed."""
    installer = BundleInstaller(Path(data), BundleVerifier(None), RecordingHealthCheck(),
                                runtime_slots=RuntimeSlots(Path(data)))
    installer.finish_runtime()


def test_the_real_kiosk_built_into_a_runtime_bundle_runs_from_its_slot_and_is_committed(tmp_path):
    """This project's own wheel (pip, from the checkout), its dependency lock, a real slot, and the real
    kiosk answering the demo question under the launcher: its health check (listening, rendering; no
    fleet configured, so not the fleet) passed in time."""
    from runtime.composition.config import DEMO_QUESTION
    key, _, trusted = keys(tmp_path)
    data = tmp_path / "data"
    bundle = tmp_path / "runtime-9.0.0.bundle"
    build_runtime_bundle(REPO, "9.0.0", key, bundle, now=NOW)
    installer = _installer(data, trusted, TrialTimes(ready_deadline_s=240.0, settle_s=1.0, max_starts=1))
    slot = _trial_installed(installer, bundle, "e" * 64, "9.0.0")
    where = subprocess.run([str(slot / "venv" / "bin" / "python"), "-c", "import runtime; print(runtime.__file__)"],
                           capture_output=True, text=True, check=True, env=slot_env(), cwd=data).stdout
    assert where.startswith(str(slot))
    env = {**os.environ, "PYTHONPATH": str(REPO), "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    env.pop("NOTIFY_SOCKET", None)
    proc = subprocess.run([sys.executable, "-m", "runtime.ops.service.launcher", "--data-dir", str(data), "--base",
                           "/nonexistent/edge-avatar", "--", "run", "--input", str(DEMO_QUESTION), "--pace", "realtime",
                           "--output", "null", "--display", "headless"], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"starting {slot}/venv/bin/edge-avatar" in proc.stderr
    assert "answer opening_hours" in proc.stderr + proc.stdout
    verdict = read_verdict(SlotFiles(data))
    assert verdict.outcome == "committed" and "9.0.0 listening, rendering and up" in verdict.detail, verdict
    installer.finish_runtime()
    assert installer.versions() == {"runtime": "9.0.0"}
