"""The kiosk under fleet management: it runs on what the agent installed, and the embedded agent
reaches into a running kiosk (say, volume, live content switch, restart)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from fleet.admin import FleetAdmin
from fleet.broker import BrokerConfig
from fleet.bundle_builder import build_bundle
from fleet.bundle_verifier import BundleVerifier
from fleet.health_check import SelfTestHealthCheck
from fleet.installer import BundleInstaller
from runtime.audio.chunk import AudioChunk
from runtime.cli.main import main as cli_main
from runtime.composition.config import DEMO_QUESTION
from tests.conftest import MALL_PACK, write_wav
from tests.fleet_fixtures import NOW, keys
from tests.rights_fixtures import with_rights
from tests.mosquitto import mosquitto

REPO = Path(__file__).resolve().parents[1]


def test_run_answers_from_the_content_the_fleet_installed(tmp_path):
    key, pub, trusted = keys(tmp_path)
    bundle = tmp_path / "mall.bundle"
    build_bundle(with_rights(MALL_PACK, tmp_path / "mall", "content", "mall-demo"), "content", "1.0.0", key, bundle,
                 now=NOW)
    installer = BundleInstaller(tmp_path / "data", BundleVerifier(trusted), SelfTestHealthCheck())
    assert installer.install(bundle, "m" * 64, "content", NOW).state == "committed"
    (tmp_path / "data" / "settings.yaml").write_text("volume: 0.5\n")
    report = tmp_path / "report.json"
    assert cli_main(["run", "--input", str(DEMO_QUESTION), "--output", "null", "--display", "headless",
                     "--pace", "fast", "--data-dir", str(tmp_path / "data"), "--report", str(report)]) == 0
    run = json.loads(report.read_text())
    assert Path(run["content"]["path"]).resolve() == (tmp_path / "data/installs/content/1.0.0").resolve()
    assert run["content"]["venue"] == "mall-demo"
    assert "The mall opens at 10 am" in run["turns"][0]["answer"]      # the visitor hears the installed pack


def test_embedded_agent_speaks_switches_content_live_and_restarts_on_request(tmp_path):
    key, pub, _ = keys(tmp_path)
    quiet = tmp_path / "quiet.wav"
    write_wav(quiet, AudioChunk.from_float(np.zeros(16000 * 90, dtype=np.float32), 16000))
    with mosquitto(tmp_path) as url:
        env = {**os.environ, "PYTHONPATH": str(REPO), "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
        kiosk = subprocess.Popen(
            [sys.executable, "-m", "runtime", "run", "--input", str(quiet), "--pace", "realtime", "--output", "null",
             "--display", "headless", "--data-dir", str(tmp_path / "data"), "--fleet-broker", url,
             "--device-id", "kiosk-live", "--group", "lobby", "--trust-key", str(pub)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: list[str] = []                      # its log, read as it comes (the pipe never fills)
        reader = threading.Thread(target=lambda: [lines.append(line) for line in kiosk.stdout], daemon=True)
        reader.start()
        try:
            with FleetAdmin(BrokerConfig.from_args(url)) as admin:
                assert admin.discover(expect=1, timeout=60)["kiosk-live"].online
                [said] = admin.command(("device", "kiosk-live"), "say", {"text": "The museum closes in ten minutes."})
                assert said["code"] == 200
                [vol] = admin.command(("device", "kiosk-live"), "set-volume", {"level": 0.3})
                assert vol["code"] == 200
                bundle = tmp_path / "mall.bundle"
                build_bundle(with_rights(MALL_PACK, tmp_path / "mall", "content", "mall-demo"), "content", "2.0.0",
                             key, bundle)
                offer = admin.publish_bundle(bundle)
                admin.update_desired(("group", "lobby"), bundles={"content": offer})
                rec = admin.wait_for_installs(["kiosk-live"], offer.bundle_id, 120)["kiosk-live"]
                assert rec["state"] == "committed", rec
                # the commit queues the reload for the kiosk's loop (runtime/composition/fleet_link.py
                # installed): a restart asked before the loop takes it in would end the run first
                deadline = time.monotonic() + 60
                while not any("content reloaded" in line for line in list(lines)) and time.monotonic() < deadline:
                    time.sleep(0.1)
                [restart] = admin.command(("device", "kiosk-live"), "restart")
                assert restart["code"] == 200
            kiosk.wait(timeout=60)
            reader.join(10)
            out = "".join(lines)
        finally:
            if kiosk.poll() is None:
                kiosk.kill()
    assert kiosk.returncode == 75, out[-3000:]
    assert "content reloaded" in out
    assert "restart: requested by the fleet" in out
