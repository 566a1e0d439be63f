"""A runtime bundle pushed through a real broker moves a kiosk from A to B, and back when B fails: a
real Mosquitto, the admin, a fleet agent (its `--restart-cmd` restarts the kiosk service), and the
kiosk service itself — the real launcher, restarted whenever it ends as systemd would, running
stand-in versions in real virtual environments (tests/runtime_wheels.py)."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path

from fleet.admin import FleetAdmin
from fleet.agent import MqttAgent
from fleet.agent_core import Identity
from fleet.broker import BrokerConfig
from fleet.device_control import StandaloneControl
from fleet.push_verdict import Deadlines, Verdict
from fleet.runtime_bundle import build_runtime_bundle
from fleet.runtime_slot import TrialTimes
from runtime.shared.runtime_slots import SlotFiles
from tests.fleet_fixtures import RecordingHealthCheck, keys
from tests.mosquitto import mosquitto
from tests.runtime_wheels import stand_in_wheel

REPO = Path(__file__).resolve().parents[1]
BASE = """#!{python}
import os, signal, socket, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
    s.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
parent = os.getppid()
while os.getppid() == parent:
    time.sleep(0.05)
"""


class KioskService:
    """systemd's part: run the launcher, start it again whenever it ends, until stopped."""

    def __init__(self, data: Path, base: Path):
        self.data, self.base = data, base
        self.pid_file = data / "launcher.pid"
        self.stopping = False
        self.starts = 0
        self.proc: subprocess.Popen | None = None
        self.log = open(data / "launcher.log", "a")
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("NOTIFY_SOCKET", None)
        while not self.stopping:
            self.proc = subprocess.Popen([sys.executable, "-m", "runtime.ops.service.launcher", "--data-dir",
                                          str(self.data), "--base", str(self.base), "--", "run"], env=env,
                                         stdout=self.log, stderr=subprocess.STDOUT)
            self.pid_file.write_text(str(self.proc.pid))
            self.starts += 1
            self.proc.wait()

    def restart_cmd(self) -> str:
        code = f"import os, signal; os.kill(int(open({str(self.pid_file)!r}).read()), signal.SIGTERM)"
        return shlex.join([sys.executable, "-c", code])

    def stop(self) -> None:
        self.stopping = True
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.thread.join(60)
        self.log.close()


def test_a_runtime_push_commits_b_then_rolls_back_c_that_crashes_and_the_admin_sees_both(tmp_path):
    key, pub, trusted = keys(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    base = tmp_path / "base" / "edge-avatar"
    base.parent.mkdir()
    base.write_text(BASE.format(python=sys.executable))
    base.chmod(0o755)

    def bundle(version: str, mode: str) -> Path:
        out = tmp_path / f"runtime-{version}.bundle"
        build_runtime_bundle(tmp_path, version, key, out, wheel=stand_in_wheel(tmp_path / version, version, mode))
        return out

    with mosquitto(tmp_path) as url:
        cfg = BrokerConfig.from_args(url)
        service = KioskService(data, base)
        agent = MqttAgent(Identity("kiosk-rt", ("rt",), "Mall A"), cfg, data, trusted,
                          StandaloneControl(data, restart_cmd=service.restart_cmd()), RecordingHealthCheck(),
                          trial_times=TrialTimes(ready_deadline_s=60.0, settle_s=0.5, max_starts=2))
        agent.start()
        try:
            with FleetAdmin(cfg) as admin:
                admin.discover(expect=1, timeout=60)
                verdicts = {}
                for version, mode in (("1.0.0", "good"), ("2.0.0", "crash")):
                    offer = admin.publish_bundle(bundle(version, mode))
                    admin.update_desired(("device", "kiosk-rt"), bundles={"runtime": offer})
                    verdicts[version] = admin.wait_for_verdicts(["kiosk-rt"], offer.bundle_id, 300,
                                                                Deadlines(progress_s=240, offline_s=240))["kiosk-rt"]
        finally:
            agent.stop()
            service.stop()
    log = (data / "launcher.log").read_text()
    assert verdicts["1.0.0"].verdict is Verdict.COMMITTED, (verdicts, log[-3000:])
    refused = verdicts["2.0.0"]
    assert (refused.verdict, refused.reason) == (Verdict.REFUSED, "health-check-failed"), (refused, log[-3000:])
    assert "2 starts of 2.0.0" in refused.detail
    assert SlotFiles(data).current().name == "1.0.0"                  # back on 1.0.0
    assert agent.installer.versions() == {"runtime": "1.0.0"}
    assert service.starts >= 3                                        # base, then a restart for each push


def test_a_runtime_rollout_to_a_simulated_fleet_aborts_when_too_many_fail(tmp_path):
    """The admin's side at fleet scale (bench/fleet_rollout.py runs it at 1 000): `fleet rollout` of a
    runtime bundle in waves stops when the failure rate passes --abort-at, names the failed kiosks and
    leaves the rest untouched. A fifth of the simulated kiosks fail the new version's health check."""
    key, pub, _ = keys(tmp_path)
    bundle = tmp_path / "runtime-2.0.0.bundle"
    build_runtime_bundle(tmp_path, "2.0.0", key, bundle, wheel=stand_in_wheel(tmp_path / "w", "2.0.0", "good"))
    with mosquitto(tmp_path) as url:
        sim = subprocess.Popen([sys.executable, "-m", "runtime", "fleet", "simulate", "--devices", "20", "--group",
                                "g", "--broker", url, "--trust-key", str(pub), "--failing-percent", "20",
                                "--duration", "600"], stdout=subprocess.PIPE, text=True)
        try:
            assert "online" in sim.stdout.readline()
            env = {**os.environ, "PYTHONPATH": str(REPO)}
            done = subprocess.run([sys.executable, "-m", "runtime", "fleet", "rollout", str(bundle), "--group", "g",
                                   "--waves", "10,50,100%", "--abort-at", "5%", "--broker", url],
                                  capture_output=True, text=True, timeout=600, env=env)
        finally:
            sim.kill()
            sim.wait()
    assert done.returncode == 3, done.stdout + done.stderr
    assert "ABORTED after wave" in done.stdout and "health-check-failed" in done.stdout
    assert "wave 3" not in done.stdout                                   # the last wave never went out
