"""Power loss at each step of a runtime switch and of a content install's commit, with real processes.

As the kill -9 tests (``test_fleet_runtime_launcher``, ``test_fleet_runtime_bundle``,
``test_fleet_installer``), but with ``EDGE_AVATAR_POWER_LOSS=1``: at the fail point the process first
undoes every file change not yet fsynced (``runtime.shared.power_loss``), what a power cut loses and a
SIGKILL keeps. After the "reboot" (a fresh process) the kiosk runs the old or the new version, whole,
its records agree, and the pending verdict or rollback completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fleet.install_state import InstallState
from runtime.shared.runtime_slots import (
    SlotFiles,
    SlotVerdict,
    read_trial,
    read_verdict,
    write_verdict,
)
from tests.fleet_fixtures import NOW, keys
from tests.test_fleet_installer import _CHILD as PANEL_CHILD
from tests.test_fleet_installer import (
    _assert_whole_version,
    _running_text,
    _v1_installed_and_v2,
)
from tests.test_fleet_runtime_bundle import _CHILD as RUNTIME_CHILD
from tests.test_fleet_runtime_bundle import (
    _bundle,
    _installer,
    _judged,
    _launch,
    _trial_installed,
)
from tests.test_fleet_runtime_launcher import _fleet, _next_start_finishes

REPO = Path(__file__).resolve().parents[1]


def _power_cut(cmd: list[str], failpoint: str, **env_extra: str) -> str:
    """Run `cmd` until the power goes at `failpoint`; its stderr (saying what the cut lost)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "EDGE_AVATAR_FAILPOINT": failpoint, "EDGE_AVATAR_POWER_LOSS": "1",
           **env_extra}
    env.pop("NOTIFY_SOCKET", None)
    cut = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert cut.returncode == -signal.SIGKILL, f"the power did not go at {failpoint}:\n{cut.stderr[-2000:]}"
    assert f"power loss at {failpoint}:" in cut.stderr + cut.stdout
    return cut.stderr


@pytest.mark.parametrize("failpoint", ["counted", "switched", "judged", "applied"])
@pytest.mark.parametrize("mode", ["good", "crash"])
def test_power_loss_at_each_launcher_step_is_finished_by_the_next_boot(tmp_path, failpoint, mode):
    data, old, new = _fleet(tmp_path, mode, max_starts=2)
    _power_cut([sys.executable, "-m", "runtime.ops.service.launcher", "--data-dir", str(data),
                "--base", "/nonexistent/edge-avatar", "--", "run"], f"launcher-{failpoint}",
               LAUNCH_LOG=str(data / "ran.log"))        # the stand-in versions log their starts there
    assert read_trial(SlotFiles(data)) is not None or read_verdict(SlotFiles(data)) is not None  # one survived
    _next_start_finishes(data, old, new, mode)


@pytest.mark.parametrize("failpoint", ["unpacked", "prepared", "trial-written", "verdict-taken"])
def test_power_loss_at_each_runtime_install_step_leaves_the_running_slot_and_a_whole_trial_or_none(tmp_path,
                                                                                                   failpoint):
    key, pub, trusted = keys(tmp_path)
    data = tmp_path / "data"
    bundle = _bundle(tmp_path, key, "1.0.0")
    if failpoint == "verdict-taken":                    # the launcher committed 1.0.0; the installer takes it in
        _trial_installed(_installer(data, trusted), bundle, "a" * 64, "1.0.0")
        write_verdict(SlotFiles(data), SlotVerdict("a" * 64, "1.0.0", "committed", "stand-in"))
        SlotFiles(data).trial_file.unlink()
        code = "from tests.test_fleet_runtime_bundle import _finish; _finish(__import__('sys').argv[1])"
        _power_cut([sys.executable, "-c", code, str(data), str(pub)], failpoint)
    else:
        _power_cut([sys.executable, "-c", RUNTIME_CHILD, str(data), str(pub), str(bundle), "a" * 64], failpoint)
    installer = _installer(data, trusted)
    installer.recover()                                            # the agent's start-up
    files = SlotFiles(data)
    if failpoint == "verdict-taken":
        assert installer.versions() == {"runtime": "1.0.0"} and read_verdict(files) is None
        return
    assert files.current() is None                                 # the base install still runs
    trial = read_trial(files)
    if trial is not None:                                          # whole, or not there at all
        assert (Path(trial.to) / "venv" / "bin" / "edge-avatar").exists()
    else:
        r = installer.install(bundle, "a" * 64, "runtime", NOW)    # the agent comes back and finishes
        assert r.state == InstallState.INSTALLING
    assert _judged(data, _launch(data, "run")).outcome == "committed"   # the next boot runs the trial
    installer.finish_runtime()
    assert installer.versions() == {"runtime": "1.0.0"}
    assert files.current() == (data / "installs" / "runtime" / "1.0.0").resolve()


@pytest.mark.parametrize("failpoint", ["unpacked", "journaled", "switched", "health-checked", "committed"])
def test_power_loss_at_each_step_of_a_content_install_commit_leaves_old_or_new(tmp_path, failpoint):
    data, pub, trusted, v2 = _v1_installed_and_v2(tmp_path)
    _power_cut([sys.executable, "-c", PANEL_CHILD, str(data), str(pub), str(v2), "b" * 64], failpoint)
    running = _assert_whole_version(data, trusted)
    assert running == ("2.0.0" if failpoint == "committed" else "1.0.0")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("EDGE_AVATAR_FAILPOINT", None)
    again = subprocess.run([sys.executable, "-c", PANEL_CHILD, str(data), str(pub), str(v2), "b" * 64],
                           env=env, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() in ("committed", "already-installed")
    assert "v2.0.0" in _running_text(data)
