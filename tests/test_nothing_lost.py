"""Nothing a visitor says is lost without a reason, on real recordings through the kiosk's own path
(`run_kiosk`, the code behind `edge-avatar run`): speech from the very first frame is heard, a pause
mid-sentence does not end the turn, a quiet sentence end is kept, the end of input closes the open
turn, and every voiced second in is accounted for in the report."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from runtime.composition.app import run_kiosk
from runtime.composition.config import KioskConfig

from .conftest import SHARED

SPEECH = SHARED / "speech"
pytestmark = pytest.mark.slow


def _run(wav: Path, mall_pack_dir: Path, **settings) -> dict:
    return run_kiosk(KioskConfig(content_dir=mall_pack_dir, lang="en", input=str(wav), output="null",
                                 display="headless", phrase_hints=False, **settings))


def _heard(report: dict) -> str:
    return " ".join(t["transcript"] for t in report["turns"])


def _accounted(report: dict) -> None:
    voiced = report["voiced_seconds"]
    assert voiced["in"] > 0.5
    assert voiced["unaccounted"] == 0.0
    assert abs(sum(voiced["accounted"].values()) - voiced["in"]) < 0.05


def test_a_visitor_already_talking_when_the_kiosk_starts_is_heard(mall_pack_dir):
    """cathy-en files start with the voice at once (no lead-in): every one gives a transcript."""
    files = sorted((SPEECH / "cathy-en").glob("*.wav"))
    assert len(files) >= 8
    for wav in files:
        report = _run(wav, mall_pack_dir)
        assert _heard(report).strip(), f"{wav.name}: nothing heard ({report['not_answered']})"
        _accounted(report)


def test_a_pause_mid_sentence_gives_one_answer_to_the_whole_sentence(mall_pack_dir):
    """s0870 pauses at a comma ("... and then leisure to consider | how much there might be ..."):
    the words after the pause are in the turn, not lost."""
    report = _run(SPEECH / "librivox-en" / "s0870.wav", mall_pack_dir)
    heard = _heard(report)
    assert "dashwood" in heard and "power" in heard, heard
    assert len(report["turns"]) == 1
    assert report["voiced_seconds"]["accounted"].get("answered", 0) > 5.0
    _accounted(report)


def test_a_quiet_sentence_end_is_kept(mall_pack_dir):
    """s0880 falls in level on its last words ("... young man")."""
    report = _run(SPEECH / "librivox-en" / "s0880.wav", mall_pack_dir)
    assert "young man" in _heard(report)
    _accounted(report)


def test_input_that_ends_mid_sentence_closes_the_turn(mall_pack_dir, tmp_path):
    """The recording cut off while the visitor is still talking: the turn in progress is answered."""
    with wave.open(str(SPEECH / "librivox-en" / "s0920.wav")) as w:
        rate, samples = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), np.int16)
    cut = tmp_path / "cut.wav"
    with wave.open(str(cut), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(samples[: int(len(samples) * 0.6)].tobytes())
    report = _run(cut, mall_pack_dir)
    assert "married" in _heard(report)
    _accounted(report)


def test_every_voiced_second_of_every_real_english_file_is_accounted_for(mall_pack_dir):
    for folder in sorted(p for p in SPEECH.iterdir() if p.name.endswith("-en")):
        for wav in sorted(folder.glob("*.wav"))[:1]:
            _accounted(_run(wav, mall_pack_dir))


def test_a_crowd_talking_from_the_first_frame_does_not_swallow_the_visitor(mall_pack_dir, tmp_path):
    """Four real readers murmuring at -42 dBFS from the very first frame (the gate has no quiet hall to
    learn from), a visitor asking at -24 dBFS from 10 s: the crowd is learned as the hall and the
    visitor's question is one turn of its own, not the tail of an endless crowd turn."""
    def samples(path: Path) -> np.ndarray:
        with wave.open(str(path)) as w:
            return np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768

    n, at = 16000 * 16, 16000 * 10
    crowd = np.zeros(n, np.float32)
    for i, wav in enumerate(sorted((SPEECH / "librivox-en").glob("*.wav"))[:4]):
        reader = samples(wav)
        crowd += reader[(i * 7919 + np.arange(n)) % reader.size]
    crowd *= 10 ** (-42 / 20) / np.sqrt(np.mean(crowd ** 2))
    question = samples(SPEECH / "cathy-en" / "arctic_a0109_1592746066.wav")   # "... shaking my confidence in you"
    question *= 10 ** (-24 / 20) / np.sqrt(np.mean(question[np.abs(question) > 0.01] ** 2))
    crowd[at:at + question.size] += question
    mixed = tmp_path / "crowd.wav"
    with wave.open(str(mixed), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(np.clip(crowd * 32767, -32768, 32767).astype(np.int16).tobytes())
    report = _run(mixed, mall_pack_dir)
    onset, end = at / 16000 * 1000, (at + question.size) / 16000 * 1000
    turns = [t["timings"] for t in report["turns"]]
    assert all(t["speech_end_ms"] - t["speech_start_ms"] < 6000 for t in turns), turns
    asked = [t for t in report["turns"] if abs(t["timings"]["speech_start_ms"] - onset) < 400]
    assert len(asked) == 1, turns
    assert abs(asked[0]["timings"]["speech_end_ms"] - end) < 600, asked[0]["timings"]
    assert "confidence" in asked[0]["transcript"]
    _accounted(report)
