"""The live kiosk: microphone and speaker through PortAudio, on a PulseAudio null-sink pair.

A private PulseAudio daemon gets two null sinks: the visitor's voice is played
into `visitor`, whose monitor is the kiosk's default microphone; the kiosk's
speaker is `kiosk_out`, whose monitor is recorded. Nothing here needs a sound card.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time

import pytest

from runtime.audio.levels import frame_rms
from runtime.audio.sources import read_wav
from tests.conftest import write_wav
from tests.pulse import pulse_env, start_pulse, stop_pulse

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("pulseaudio") is None or shutil.which("paplay") is None,
                                 reason="needs pulseaudio and pulseaudio-utils (make test installs them)")]


@pytest.fixture()
def pulse(tmp_path):
    env = pulse_env(tmp_path)
    start_pulse(env)
    try:
        yield env
    finally:
        stop_pulse(env)


def test_a_live_kiosk_hears_the_microphone_and_answers_through_the_speaker(pulse, speak, mall_pack_dir, tmp_path):
    audio, _ = speak(["Where is the cinema?"], gap_s=0.5, lead_s=0.3)
    question = write_wav(tmp_path / "question.wav", audio)
    recording = tmp_path / "speaker.wav"
    recorder = subprocess.Popen(["parecord", "--device=kiosk_out.monitor", "--file-format=wav",
                                 "--channels=1", "--rate=22050", str(recording)], env=pulse)
    kiosk = subprocess.Popen(
        [sys.executable, "-m", "runtime", "run", "--content", str(mall_pack_dir), "--lang", "en",
         "--input", "mic", "--output", "speaker", "--display", "headless", "--max-turns", "1",
         "--report", str(tmp_path / "report.json")],
        env=pulse, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ready = threading.Event()
    log: list[str] = []

    def watch():
        for line in kiosk.stderr:
            log.append(line)
            if "listening: recogniser and voice loaded" in line:
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert ready.wait(60), "".join(log)
        time.sleep(0.5)
        subprocess.run(["paplay", "--device=visitor", str(question)], env=pulse, check=True, timeout=30)
        assert kiosk.wait(timeout=60) == 0, "".join(log)
    finally:
        kiosk.kill()
        time.sleep(0.3)
        recorder.terminate()
        recorder.wait(timeout=10)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["backends"]["input"].startswith("mic:") and report["backends"]["output"].startswith("speaker:")
    [turn] = report["turns"]
    assert turn["intent"] == "cinema"
    t = turn["timings"]
    print("live timings:", t)
    assert 0 < t["first_audio_ms"] - t["speech_end_ms"] < 1000, "".join(log)
    heard = read_wav(recording)
    loud = frame_rms(heard.float_samples(), heard.rate) > 0.02
    assert loud.sum() * 0.01 > 1.5, "the speaker played less than 1.5 s of the answer"


def test_the_microphone_lost_and_back_is_picked_up_without_a_restart(pulse, speak, mall_pack_dir, tmp_path):
    audio, _ = speak(["Where is the cinema?"], gap_s=0.5, lead_s=0.3)
    question = write_wav(tmp_path / "question.wav", audio)
    kiosk = subprocess.Popen(
        [sys.executable, "-m", "runtime", "run", "--content", str(mall_pack_dir), "--lang", "en",
         "--input", "mic", "--output", "null", "--display", "headless", "--max-turns", "1",
         "--report", str(tmp_path / "report.json")],
        env=pulse, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    log: list[str] = []
    ready, lost, back = threading.Event(), threading.Event(), threading.Event()

    def watch():
        for line in kiosk.stderr:
            log.append(line)
            ready.set() if "listening: recogniser and voice loaded" in line else None
            lost.set() if "the device is gone?" in line else None
            back.set() if "audio is back" in line else None

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert ready.wait(60), "".join(log)
        time.sleep(0.5)
        subprocess.run(["pulseaudio", "--kill"], env=pulse, capture_output=True)     # the USB mic is pulled
        assert lost.wait(15), "".join(log)
        assert kiosk.poll() is None                                                  # ...and the kiosk runs on
        start_pulse(pulse)                                                           # plugged back in
        assert back.wait(20), "".join(log)
        time.sleep(0.5)
        subprocess.run(["paplay", "--device=visitor", str(question)], env=pulse, check=True, timeout=30)
        try:
            assert kiosk.wait(timeout=60) == 0, "".join(log)
        except subprocess.TimeoutExpired:
            pytest.fail("the kiosk did not answer after the microphone came back:\n" + "".join(log))
    finally:
        kiosk.kill()
    [turn] = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["turns"]
    assert turn["intent"] == "cinema"


def test_the_speaker_lost_and_back_plays_the_next_answer_without_a_restart(pulse, speak, mall_pack_dir, tmp_path):
    """The sound server dies under a live kiosk (microphone and speaker both gone) and comes back:
    the kiosk keeps running, reopens both, hears the next question and the answer is played."""
    audio, _ = speak(["Where is the cinema?"], gap_s=0.5, lead_s=0.3)
    question = write_wav(tmp_path / "question.wav", audio)
    kiosk = subprocess.Popen(
        [sys.executable, "-m", "runtime", "run", "--content", str(mall_pack_dir), "--lang", "en",
         "--input", "mic", "--output", "speaker", "--display", "headless", "--max-turns", "1",
         "--report", str(tmp_path / "report.json")],
        env=pulse, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    log: list[str] = []
    ready, speaker_lost, speaker_back, mic_back = (threading.Event() for _ in range(4))

    def watch():
        for line in kiosk.stderr:
            log.append(line)
            ready.set() if "listening: recogniser and voice loaded" in line else None
            speaker_lost.set() if "speaker" in line and "the device is gone?" in line else None
            speaker_back.set() if "speaker" in line and "audio is flowing again" in line else None
            mic_back.set() if "microphone" in line and "audio is back" in line else None

    threading.Thread(target=watch, daemon=True).start()
    recording = tmp_path / "speaker.wav"
    recorder = None
    try:
        assert ready.wait(60), "".join(log)
        time.sleep(0.5)
        subprocess.run(["pulseaudio", "--kill"], env=pulse, capture_output=True)     # the sound card is gone
        assert speaker_lost.wait(15), "".join(log)
        assert kiosk.poll() is None
        start_pulse(pulse)                                                           # and back
        assert speaker_back.wait(20) and mic_back.wait(20), "".join(log)
        recorder = subprocess.Popen(["parecord", "--device=kiosk_out.monitor", "--file-format=wav",
                                     "--channels=1", "--rate=22050", str(recording)], env=pulse)
        time.sleep(0.5)
        subprocess.run(["paplay", "--device=visitor", str(question)], env=pulse, check=True, timeout=30)
        try:
            assert kiosk.wait(timeout=60) == 0, "".join(log)
        except subprocess.TimeoutExpired:
            pytest.fail("the kiosk did not answer after the sound server came back:\n" + "".join(log))
    finally:
        kiosk.kill()
        if recorder is not None:
            time.sleep(0.3)
            recorder.terminate()
            recorder.wait(timeout=10)
    [turn] = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["turns"]
    assert turn["intent"] == "cinema"
    heard = read_wav(recording)
    loud = frame_rms(heard.float_samples(), heard.rate) > 0.02
    assert loud.sum() * 0.01 > 1.5, "the reopened speaker played less than 1.5 s of the answer"


def test_live_a_visitor_who_talks_over_the_avatar_stops_it_and_is_answered(pulse, speak, mall_pack_dir, tmp_path):
    """Live mode uses the turn-taking path: the interruption stops the answer being played through the
    speaker, the report has the `barge_in` event with its latency, and the new question is answered.
    This rig has no acoustic path from speaker to microphone (null sinks), so there is no echo to
    cancel: the canceller is off here (`--echo none`); echo cancellation with barge-in is measured on
    a simulated room in `bench/turn_taking.py` and `test_barge_in.py`."""
    question = write_wav(tmp_path / "q.wav", speak(["Where is the cinema?"], gap_s=0.3, lead_s=0.3)[0])
    cut_in = write_wav(tmp_path / "cut.wav", speak(["Where can I park my car?"], gap_s=0.3, lead_s=0.0,
                                                   level=0.8)[0])
    kiosk = subprocess.Popen(
        [sys.executable, "-m", "runtime", "run", "--content", str(mall_pack_dir), "--lang", "en",
         "--input", "mic", "--output", "speaker", "--display", "headless", "--max-turns", "2",
         "--echo", "none", "--report", str(tmp_path / "report.json")],
        env=pulse, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ready, speaking, log = threading.Event(), threading.Event(), []

    def watch():
        for line in kiosk.stderr:
            log.append(line)
            if "listening: recogniser and voice loaded" in line:
                ready.set()
            if "heard 'where is the cinema'" in line:
                speaking.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert ready.wait(60), "".join(log)
        time.sleep(0.5)
        subprocess.run(["paplay", "--device=visitor", str(question)], env=pulse, check=True, timeout=30)
        assert speaking.wait(10), "".join(log)
        time.sleep(1.5)                                   # well into the answer (it is ~7 s long)
        subprocess.run(["paplay", "--device=visitor", str(cut_in)], env=pulse, check=True, timeout=30)
        try:
            code = kiosk.wait(timeout=60)
        except subprocess.TimeoutExpired:
            code = None
        assert code == 0, "".join(log)
    finally:
        kiosk.kill()
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    first, second = report["turns"]
    assert first["intent"] == "cinema", "".join(log)
    assert "where can i" in second["transcript"], "".join(log)     # the interruption is the visitor's turn
    [event] = report["barge_in"]
    assert first["cut_at_ms"] is not None and first["cut_at_ms"] == event["stopped_ms"]
    print("live barge-in:", event)
    assert event["latency_ms"] < 400, event              # generous: a loaded CI machine, real time
