"""Install: stage → verify → atomic switch → health check → commit, rollback, and kill -9 anywhere."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fleet.bundle_verifier import BundleVerifier
from fleet.errors import BundleRejected
from fleet.health_check import SelfTestHealthCheck
from fleet.installer import BundleInstaller
from tests.fleet_fixtures import NOW, RecordingHealthCheck, keys, panel_bundle

FAILPOINTS = ["attempt-counted", "staged", "unpacked", "journaled", "switched", "health-checked", "committed"]


def _running_text(data: Path) -> str:
    return (data / "current" / "panel" / "venue-panel.yaml").read_text()


def test_install_switches_and_commits_with_the_real_self_test(tmp_path):
    key, _, trusted = keys(tmp_path)
    installer = BundleInstaller(tmp_path / "data", BundleVerifier(trusted), SelfTestHealthCheck(timeout_s=120))
    r = installer.install(panel_bundle(tmp_path, key, "1.0.0"), "a" * 64, "panel", NOW)
    assert (r.state, r.version) == ("committed", "1.0.0")
    assert installer.versions() == {"panel": "1.0.0"}
    assert "v1.0.0" in _running_text(tmp_path / "data")
    # the same bundle again is not installed twice
    assert installer.install(panel_bundle(tmp_path, key, "1.0.0"), "a" * 64, "panel", NOW).state == "already-installed"


def test_failing_real_self_test_rolls_back_to_the_previous_version(tmp_path):
    key, _, trusted = keys(tmp_path)
    installer = BundleInstaller(tmp_path / "data", BundleVerifier(trusted), SelfTestHealthCheck(timeout_s=120))
    installer.install(panel_bundle(tmp_path, key, "1.0.0"), "a" * 64, "panel", NOW)
    broken = panel_bundle(tmp_path, key, "1.1.0", payload="name: venue-panel\nformat: hologram-9000\n")
    with pytest.raises(BundleRejected) as err:
        installer.install(broken, "b" * 64, "panel", NOW)
    assert err.value.reason == "health-check-failed" and "resolution" in err.value.detail
    assert installer.versions() == {"panel": "1.0.0"}
    assert "v1.0.0" in _running_text(tmp_path / "data")
    assert installer.refusal("b" * 64)["reason"] == "health-check-failed"
    assert not (tmp_path / "data" / "installs" / "panel" / "1.1.0").exists()


def test_admin_rollback_returns_to_the_kept_previous_version(tmp_path):
    key, _, trusted = keys(tmp_path)
    installer = BundleInstaller(tmp_path / "data", BundleVerifier(trusted), RecordingHealthCheck())
    installer.install(panel_bundle(tmp_path, key, "1.0.0"), "a" * 64, "panel", NOW)
    installer.install(panel_bundle(tmp_path, key, "1.1.0"), "b" * 64, "panel", NOW)
    installer.install(panel_bundle(tmp_path, key, "1.2.0"), "c" * 64, "panel", NOW)
    assert sorted(p.name for p in (tmp_path / "data/installs/panel").iterdir()) == ["1.1.0", "1.2.0"]
    assert installer.roll_back("panel").version == "1.1.0"
    assert "v1.1.0" in _running_text(tmp_path / "data") and installer.versions() == {"panel": "1.1.0"}
    assert installer.refusal("c" * 64)["reason"] == "rolled-back"


_CHILD = """
import sys, datetime as dt
from pathlib import Path
from fleet.bundle_keys import TrustedKeys
from fleet.bundle_verifier import BundleVerifier
from fleet.installer import BundleInstaller, HealthResult
data, pub, bundle = map(Path, sys.argv[1:4])
inst = BundleInstaller(data, BundleVerifier(TrustedKeys.from_files([pub])), lambda k, p: HealthResult(True))
inst.recover()
print(inst.install(bundle, sys.argv[4], "panel", dt.datetime(2026, 11, 25, 12, tzinfo=dt.timezone.utc)).state)
"""


def _child(data, pub, bundle, bundle_id, failpoint=None):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop("EDGE_AVATAR_FAILPOINT", None)
    if failpoint:
        env["EDGE_AVATAR_FAILPOINT"] = failpoint
    return subprocess.Popen([sys.executable, "-c", _CHILD, str(data), str(pub), str(bundle), bundle_id],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _assert_whole_version(data: Path, trusted) -> str:
    """Right after the kill the kiosk sees v1 or v2, each a complete folder; after the agent's
    start-up recovery, what runs is what the state file says. Returns the version after recovery."""
    for _ in range(2):
        text = _running_text(data)
        assert text.count("lobby panel v") == 1 and text.endswith("\n")
        installer = BundleInstaller(data, BundleVerifier(trusted), RecordingHealthCheck())
        installer.recover()
    running = "1.0.0" if "v1.0.0" in _running_text(data) else "2.0.0"
    assert installer.versions()["panel"] == running
    assert not (data / "pending.json").exists()
    return running


def _v1_installed_and_v2(tmp_path: Path):
    """A kiosk running panel 1.0.0, and a signed 2.0.0 bundle for it: (data dir, public key, trusted, v2)."""
    key, pub, trusted = keys(tmp_path)
    data = tmp_path / "data"
    BundleInstaller(data, BundleVerifier(trusted), RecordingHealthCheck()).install(
        panel_bundle(tmp_path, key, "1.0.0"), "a" * 64, "panel", NOW)
    return data, pub, trusted, panel_bundle(tmp_path, key, "2.0.0")


@pytest.mark.parametrize("failpoint", FAILPOINTS)
def test_kill_9_at_every_install_step_leaves_old_or_new_never_between(tmp_path, failpoint):
    data, pub, trusted, v2 = _v1_installed_and_v2(tmp_path)
    proc = _child(data, pub, v2, "b" * 64, failpoint)
    proc.wait(60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    running = _assert_whole_version(data, trusted)
    assert running == ("2.0.0" if failpoint == "committed" else "1.0.0")
    # the agent comes back and finishes the job (or knows it is done)
    again = _child(data, pub, v2, "b" * 64)
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert out.strip() in ("committed", "already-installed")
    assert "v2.0.0" in _running_text(data)


def test_kill_9_at_random_moments_of_a_large_install(tmp_path):
    key, pub, trusted = keys(tmp_path)
    data = tmp_path / "data"
    BundleInstaller(data, BundleVerifier(trusted), RecordingHealthCheck()).install(
        panel_bundle(tmp_path, key, "1.0.0"), "a" * 64, "panel", NOW)
    src = tmp_path / "src-2.0.0"
    v2 = panel_bundle(tmp_path, key, "2.0.0")
    (src / "textures.bin").write_bytes(os.urandom(24 << 20))
    from fleet.bundle_builder import build_bundle
    build_bundle(src, "panel", "2.0.0", key, v2, now=NOW)
    seen = set()
    for delay in (0.05, 0.15, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3):
        proc = _child(data, pub, v2, "c" * 64)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        seen.add(_assert_whole_version(data, trusted))
        if "2.0.0" in seen:
            break
        state = json.loads((data / "state.json").read_text())
        state["attempts"].pop("c" * 64, None)     # the test kills on purpose: don't let the retry limit stop it
        (data / "state.json").write_text(json.dumps(state))
    assert "1.0.0" in seen or "2.0.0" in seen
