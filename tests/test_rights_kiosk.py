"""The done test of issue 32: a character made from a (fictional) real person, with consent until a
given minute, installs on a simulated kiosk, is shown, and is replaced by the default character
when that minute passes, with the fleet broker unreachable (network down). The simulated kiosk is `edge-avatar run --data-dir` on a quiet
file: its clock is the wall clock at start moved on by the file's time line (docs/rights.md)."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

from fleet.admin import FleetAdmin
from fleet.broker import BrokerConfig
from fleet.bundle_builder import build_bundle
from fleet.bundle_verifier import BundleVerifier
from fleet.health_check import SelfTestHealthCheck
from fleet.installer import BundleInstaller, HealthResult
from fleet.rights_check import RightsPolicy
from runtime.audio.chunk import AudioChunk
from runtime.avatar.default_character import build_pack
from runtime.cli.main import main as cli_main
from runtime.composition.config import KioskConfig
from runtime.composition.fleet_link import installed_config
from runtime.rights.consent import Site
from runtime.rights.record import iso
from tests.conftest import write_wav
from tests.fleet_fixtures import keys
from tests.mosquitto import mosquitto
from tests.rights_fixtures import original_record, person_record, write_record

REPO = Path(__file__).resolve().parents[1]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_real_persons_character_is_replaced_by_the_default_when_its_consent_minute_passes(tmp_path, capsys):
    key, pub, trusted = keys(tmp_path)
    now = dt.datetime.now(dt.timezone.utc)
    until = (now + dt.timedelta(seconds=80)).replace(second=0, microsecond=0)    # a whole minute, 20-80 s away
    src = build_pack(tmp_path / "lin", 0.5)
    (src / "rig.yaml").write_text((src / "rig.yaml").read_text().replace("name: Nova", "name: Lin Xiaoyu", 1))
    write_record(src, person_record(until, venues=("mall-a",)))
    bundle = tmp_path / "lin.bundle"
    build_bundle(src, "avatar", "1.0.0", key, bundle, now=now - dt.timedelta(minutes=5))
    data = tmp_path / "data"
    data.mkdir()
    installer = BundleInstaller(data, BundleVerifier(trusted, rights=RightsPolicy(Site("mall-a"), (), data)),
                                SelfTestHealthCheck())
    assert installer.install(bundle, "l" * 64, "avatar", now).state == "committed"

    seconds = int((until - now).total_seconds()) + 15       # the file runs past the minute
    assert cli_main(["rights", "c2pa-keygen", "--ca", str(tmp_path / "ca"), "--device", "kiosk-1",
                     "--out", str(data / "c2pa")]) == 0      # the kiosk's C2PA credentials (DATA/c2pa)
    quiet = write_wav(tmp_path / "quiet.wav",
                      AudioChunk.from_float(np.zeros(16000 * seconds, dtype=np.float32), 16000))
    report_path = tmp_path / "report.json"
    offline = ["--fleet-broker", f"mqtt://127.0.0.1:{_closed_port()}", "--device-id", "kiosk-1",
               "--group", "mall-a", "--trust-key", str(pub)]
    assert cli_main(["run", "--input", str(quiet), "--output", str(tmp_path / "out.wav"), "--display", "headless",
                     "--pace", "fast", "--data-dir", str(data), "--frames", str(tmp_path / "frames"),
                     "--frame-every", "1", "--report", str(report_path), *offline]) == 0
    report = json.loads(report_path.read_text())
    (event,) = report["rights"]["events"]
    assert (event["kind"], event["asset_id"], event["standing"]) == ("avatar", "lin-xiaoyu-character", "expired")
    assert event["now_using"] == "the default character"
    # on time: the first chunk at or after the minute (chunks are 32 ms; the report keeps whole seconds)
    assert event["at"] == iso(until), (event, iso(until))
    shown = [(f["t_ms"] / 1000, f["avatar"]) for f in report["frames"]]
    before = {name.split(" (")[0] for t, name in shown if t < event["t"] - 0.1}
    after = {name.split(" (")[0] for t, name in shown if t > event["t"] + 1.1}
    assert before == {"Lin Xiaoyu"} and after == {"Nova"}, (event["t"], shown[:3], shown[-3:])
    assert report["rights"]["assets"][0]["state"] == "ended"

    # every file it wrote carries the implicit label and a C2PA manifest naming the assets' records
    frames = report["frames"]
    files = [tmp_path / "out.wav", tmp_path / "frames" / frames[0]["file"], tmp_path / "frames" / frames[-1]["file"]]
    capsys.readouterr()
    assert cli_main(["rights", "verify", "--json", "--trust-ca", str(tmp_path / "ca" / "ca.pem"),
                     *map(str, files)]) == 0
    wav, first, last = json.loads(capsys.readouterr().out)
    assert wav["c2pa"]["ingredients"] == ["piper-en_US-joe-medium/rights.yaml",
                                          "edge-avatar-default-content/rights.yaml"]
    assert first["c2pa"]["ingredients"] == ["lin-xiaoyu-character/rights.yaml"]
    assert last["c2pa"]["ingredients"] == ["nova-character/rights.yaml"]
    assert all(r["aigc"]["ContentProducer"] == "edge-avatar@mall-a" for r in (wav, first, last))


def test_a_signed_revocation_replaces_the_character_at_once_and_survives_a_restart(tmp_path):
    """`fleet revoke` over a real Mosquitto to a running kiosk: the character goes within a second,
    the revocation stays on disk, and what a restart reads no longer offers the character."""
    key, pub, trusted = keys(tmp_path)
    now = dt.datetime.now(dt.timezone.utc)
    src = build_pack(tmp_path / "lin", 0.5)
    write_record(src, person_record(now + dt.timedelta(days=30), venues=("lobby",)))
    bundle = tmp_path / "lin.bundle"
    build_bundle(src, "avatar", "1.0.0", key, bundle, now=now - dt.timedelta(minutes=5))
    data = tmp_path / "data"
    data.mkdir()
    BundleInstaller(data, BundleVerifier(trusted, rights=RightsPolicy(Site("lobby"), (), data)),
                    lambda kind, path: HealthResult(True)).install(bundle, "l" * 64, "avatar", now)
    quiet = write_wav(tmp_path / "quiet.wav", AudioChunk.from_float(np.zeros(16000 * 90, dtype=np.float32), 16000))
    report_path = tmp_path / "report.json"
    with mosquitto(tmp_path) as url:
        env = {**os.environ, "PYTHONPATH": str(REPO), "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
        kiosk = subprocess.Popen(
            [sys.executable, "-m", "runtime", "run", "--input", str(quiet), "--pace", "realtime", "--output", "null",
             "--display", "headless", "--data-dir", str(data), "--fleet-broker", url, "--report", str(report_path),
             "--device-id", "kiosk-rv", "--group", "lobby", "--trust-key", str(pub)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            with FleetAdmin(BrokerConfig.from_args(url)) as admin:
                assert admin.discover(expect=1, timeout=60)["kiosk-rv"].online
            seen = []
            for line in kiosk.stdout:          # loaded: a restart during the models' load can abort at exit
                seen.append(line)
                if "recogniser and voice loaded" in line:
                    break
            assert cli_main(["fleet", "revoke", "lin-xiaoyu-character", "--signing-key", str(key),
                             "--reason", "contract withdrawn", "--to", "device:kiosk-rv", "--broker", url]) == 0
            acked = dt.datetime.now(dt.timezone.utc)     # the kiosk's agent has written revocations.json
            for line in kiosk.stdout:          # the kiosk says when it switched (no sleeping on a guess)
                seen.append(line)
                if "rights: avatar lin-xiaoyu-character may no longer be shown" in line:
                    break
            with FleetAdmin(BrokerConfig.from_args(url)) as admin:
                [restart] = admin.command(("device", "kiosk-rv"), "restart")
                assert restart["code"] == 200
            out, _ = kiosk.communicate(timeout=60)
            out = "".join(seen) + out
        finally:
            if kiosk.poll() is None:
                kiosk.kill()
    assert kiosk.returncode == 75, out[-3000:]
    (event,) = json.loads(report_path.read_text())["rights"]["events"]
    assert (event["asset_id"], event["standing"], event["now_using"]) == \
        ("lin-xiaoyu-character", "revoked", "the default character"), event
    at = dt.datetime.fromisoformat(event["at"].replace("Z", "+00:00"))
    # at once: the player's next revocation poll (every 0.5 s), not the next start; the bound allows
    # a loaded machine (the wall clock is whole seconds in the report)
    assert at - acked < dt.timedelta(seconds=10), (acked, event)
    assert "lin-xiaoyu-character" in json.loads((data / "revocations.json").read_text())
    restarted = installed_config(KioskConfig(site="lobby"), data)     # what the next start runs on
    assert restarted.avatar_dir is None


def test_at_start_an_ended_voice_and_a_clock_known_wrong_start_on_the_defaults(tmp_path):
    """What `run --data-dir` (and so every restart) runs on: an installed voice whose consent has
    ended is not used; a real person's character is not shown while the wall clock is more than 5
    minutes behind the saved clock floor (reset at boot, no network); an original one is."""
    data = tmp_path / "data"
    now = dt.datetime.now(dt.timezone.utc)
    for kind, record in (("voice", person_record(now - dt.timedelta(minutes=1), kind="voice", asset_id="v")),
                         ("avatar", person_record(now + dt.timedelta(days=1), venues=("lobby",)))):
        folder = write_record(data / "installs" / kind / "1.0.0", record)
        (data / "current").mkdir(parents=True, exist_ok=True)
        (data / "current" / kind).symlink_to(folder)
    cfg = installed_config(KioskConfig(site="lobby"), data)
    assert cfg.fleet_model_dirs == () and cfg.avatar_dir == data / "current" / "avatar"
    (data / "clock-floor.json").write_text(json.dumps({"floor": iso(now + dt.timedelta(hours=2))}))
    assert installed_config(KioskConfig(site="lobby"), data).avatar_dir is None        # clock-untrusted
    write_record(data / "installs" / "avatar" / "1.0.0", original_record("avatar", "venue-mascot"))
    assert installed_config(KioskConfig(site="lobby"), data).avatar_dir == data / "current" / "avatar"
