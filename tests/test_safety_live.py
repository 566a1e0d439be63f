"""A spoken scam story through `edge-avatar run` as a user runs it: the warning is said, the avatar
shows the concerned expression, and a staff alert reaches the fleet broker, retained, where
`mosquitto_sub` connecting after the kiosk has exited still reads it. The voice is espeak-ng, not
the kiosk's own (Piper)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from fleet import topics as T
from tests.conftest import REPO
from tests.fleet_fixtures import keys
from tests.mosquitto import mosquitto

pytestmark = pytest.mark.slow
DEVICE = "lobby-3"
STORY = ("A man on the phone says he is a police officer. He told me to move all my savings "
         "to a safe account today and not tell my family.")


def _espeak(text: str, path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), text], check=True, timeout=60)


def _mosquitto_sub_retained(url: str, topic: str) -> list[dict]:
    """What `mosquitto_sub` is replayed on `topic` (retained messages only), as a console would see it."""
    host, port = url.removeprefix("mqtt://").split(":")
    out = subprocess.run(["mosquitto_sub", "-h", host, "-p", port, "-t", topic, "--retained-only", "-W", "5", "-v"],
                         capture_output=True, text=True, timeout=30, check=False).stdout
    return [json.loads(line.split(" ", 1)[1]) for line in out.splitlines() if " " in line]


def test_a_spoken_scam_story_is_warned_shown_concern_and_reaches_staff(tmp_path):
    if shutil.which("mosquitto_sub") is None:
        pytest.skip("mosquitto_sub is not installed")
    wav = tmp_path / "story.wav"
    _espeak(STORY, wav)
    _, pub, _ = keys(tmp_path)
    data = tmp_path / "data"
    with mosquitto(tmp_path) as url:
        env = {**os.environ, "PYTHONPATH": str(REPO), "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
        run = subprocess.run(
            [sys.executable, "-m", "runtime", "run", "--input", str(wav), "--pace", "realtime", "--output", "null",
             "--display", "headless", "--asr", "pocketsphinx", "--data-dir", str(data), "--fleet-broker", url,
             "--device-id", DEVICE, "--trust-key", str(pub), "--report", str(tmp_path / "report.json")],
            env=env, capture_output=True, text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stderr[-3000:]
        report = json.loads((tmp_path / "report.json").read_text())
        [turn] = [t for t in report["turns"] if t.get("safety")]
        assert turn["safety"] == "scam" and "96110" in turn["answer"], turn["transcript"]
        assert turn["cues"][0] == {"cue": "sad", "at_char": 0}        # the concerned expression, first
        assert turn["mood"] is not None
        seen = _mosquitto_sub_retained(url, T.alert_wildcard())
    assert [a["kind"] for a in seen] == ["scam"] and seen[0]["device"] == DEVICE
    assert seen[0]["transcript"] == turn["transcript"]
