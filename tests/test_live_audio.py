"""The live kiosk: microphone and speaker through PortAudio, on a PulseAudio null-sink pair.

A private PulseAudio daemon gets two null sinks: the visitor's voice is played
into `visitor`, whose monitor is the kiosk's default microphone; the kiosk's
speaker is `kiosk_out`, whose monitor is recorded. Nothing here needs a sound card.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest

from runtime.audio.levels import frame_rms
from runtime.audio.sources import read_wav
from tests.conftest import write_wav
from tests.live_kiosk import LiveKiosk, say, speaker_recording, wait_for_sound
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


def _args(mall_pack_dir, tmp_path, *extra: str, output: str = "speaker", turns: int = 1) -> list[str]:
    return ["--content", str(mall_pack_dir), "--lang", "en", "--input", "mic", "--output", output,
            "--display", "headless", "--max-turns", str(turns), "--report", str(tmp_path / "report.json"), *extra]


def _report(tmp_path) -> dict:
    return json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))


def _played_seconds(recording) -> float:
    heard = read_wav(recording)
    return float((frame_rms(heard.float_samples(), heard.rate) > 0.02).sum() * 0.01)


def test_a_live_kiosk_hears_the_microphone_and_answers_through_the_speaker(pulse, speak, mall_pack_dir, tmp_path):
    question = write_wav(tmp_path / "question.wav", speak(["Where is the cinema?"], gap_s=0.5, lead_s=0.3)[0])
    with speaker_recording(pulse, tmp_path / "speaker.wav") as recording, \
            LiveKiosk(pulse, _args(mall_pack_dir, tmp_path)) as kiosk:
        kiosk.expect("ready", 60)
        time.sleep(0.5)
        say(pulse, question)
        kiosk.finish(60)
    report = _report(tmp_path)
    assert report["backends"]["input"].startswith("mic:") and report["backends"]["output"].startswith("speaker:")
    [turn] = report["turns"]
    assert turn["intent"] == "cinema"
    t = turn["timings"]
    print("live timings:", t)
    # The answer follows the question on the live devices' time line. How soon is a benchmark's
    # (bench/voice_loop.py), not this test's: on a loaded machine one turn took 1.35 s (CI).
    assert 0 < t["first_audio_ms"] - t["speech_end_ms"] < 15000, kiosk.text
    assert _played_seconds(recording) > 1.5, "the speaker played less than 1.5 s of the answer"


def test_the_microphone_lost_and_back_is_picked_up_without_a_restart(pulse, speak, mall_pack_dir, tmp_path):
    question = write_wav(tmp_path / "question.wav", speak(["Where is the cinema?"], gap_s=0.5, lead_s=0.3)[0])
    marks = {"lost": lambda line: "the device is gone?" in line, "back": lambda line: "audio is back" in line}
    with LiveKiosk(pulse, _args(mall_pack_dir, tmp_path, output="null"), marks) as kiosk:
        kiosk.expect("ready", 60)
        time.sleep(0.5)
        subprocess.run(["pulseaudio", "--kill"], env=pulse, capture_output=True)     # the USB mic is pulled
        kiosk.expect("lost", 15)
        assert kiosk.proc.poll() is None                                             # ...and the kiosk runs on
        start_pulse(pulse)                                                           # plugged back in
        kiosk.expect("back", 20)
        time.sleep(0.5)
        say(pulse, question)
        kiosk.finish(60, "answering after the microphone came back")
    [turn] = _report(tmp_path)["turns"]
    assert turn["intent"] == "cinema"


def test_the_speaker_lost_and_back_plays_the_next_answer_without_a_restart(pulse, speak, mall_pack_dir, tmp_path):
    """The sound server dies under a live kiosk (microphone and speaker both gone) and comes back:
    the kiosk keeps running, reopens both, hears the next question and the answer is played."""
    question = write_wav(tmp_path / "question.wav", speak(["Where is the cinema?"], gap_s=0.5, lead_s=0.3)[0])
    marks = {"speaker lost": lambda line: "speaker" in line and "the device is gone?" in line,
             "speaker back": lambda line: "speaker" in line and "audio is flowing again" in line,
             "microphone back": lambda line: "microphone" in line and "audio is back" in line}
    with LiveKiosk(pulse, _args(mall_pack_dir, tmp_path), marks) as kiosk:
        kiosk.expect("ready", 60)
        time.sleep(0.5)
        subprocess.run(["pulseaudio", "--kill"], env=pulse, capture_output=True)     # the sound card is gone
        kiosk.expect("speaker lost", 15)
        assert kiosk.proc.poll() is None
        start_pulse(pulse)                                                           # and back
        kiosk.expect("speaker back", 20)
        kiosk.expect("microphone back", 20)
        with speaker_recording(pulse, tmp_path / "speaker.wav") as recording:
            time.sleep(0.5)
            say(pulse, question)
            kiosk.finish(60, "answering after the sound server came back")
    [turn] = _report(tmp_path)["turns"]
    assert turn["intent"] == "cinema"
    assert _played_seconds(recording) > 1.5, "the reopened speaker played less than 1.5 s of the answer"


def test_live_a_visitor_who_talks_over_the_avatar_stops_it_and_is_answered(pulse, speak, mall_pack_dir, tmp_path):
    """Live mode uses the turn-taking path: the interruption stops the answer being played through the
    speaker, the report has the `barge_in` event with its latency, and the new question is answered.
    This rig has no acoustic path from speaker to microphone (null sinks), so there is no echo to
    cancel: the canceller is off here (`--echo none`); echo cancellation with barge-in is measured on
    a simulated room in `bench/turn_taking.py` and `test_barge_in.py`."""
    question = write_wav(tmp_path / "q.wav", speak(["Where is the cinema?"], gap_s=0.3, lead_s=0.3)[0])
    cut_in = write_wav(tmp_path / "cut.wav", speak(["Where can I park my car?"], gap_s=0.3, lead_s=0.0,
                                                   level=0.8)[0])
    marks = {"answering": lambda line: "heard 'where is the cinema'" in line}
    with speaker_recording(pulse, tmp_path / "speaker.wav") as recording, \
            LiveKiosk(pulse, _args(mall_pack_dir, tmp_path, "--echo", "none", turns=2), marks) as kiosk:
        kiosk.expect("ready", 60)
        time.sleep(0.5)
        say(pulse, question)
        kiosk.expect("answering", 30)
        # well into the answer (it is ~7 s long): a second of it heard, however slow the machine is
        wait_for_sound(recording, 1.0, timeout=60)
        say(pulse, cut_in)
        kiosk.finish(60)
    report = _report(tmp_path)
    first, second = report["turns"]
    assert first["intent"] == "cinema", kiosk.text
    assert "where can i" in second["transcript"], kiosk.text     # the interruption is the visitor's turn
    [event] = report["barge_in"]
    assert first["cut_at_ms"] is not None and first["cut_at_ms"] == event["stopped_ms"]
    print("live barge-in:", event)
    # It stops well inside the ~7 s answer; how fast is bench/turn_taking.py's. latency_ms runs from the
    # onset (audio time line) to the pause (wall clock, runtime/turn_taking/barge_in_control.py:92), so
    # any lag of the loop behind the microphone on a loaded machine adds to it: 4 s still tells an
    # answer stopped in its middle (some 6 s of it left at the cut-in) from one played out.
    assert event["latency_ms"] < 4000, event
