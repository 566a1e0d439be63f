"""Compute: every model intact, ASR and TTS real-time factors, end of speech to first answer audio."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from runtime.config import DEMO_QUESTION
from runtime.models import ModelCatalog


@pytest.mark.compute
def test_every_installed_model_matches_its_manifest():
    catalog = ModelCatalog.load()
    available = [e for e in catalog.entries if e.available]
    assert available, "no model of the manifest is installed"
    for entry in available:
        catalog.verify(entry)


@pytest.mark.compute
def test_speech_engines_real_time_factors(measure):
    from runtime.audio.sources import read_wav
    from runtime.backends import make_recognizer, make_synthesizer
    catalog = ModelCatalog.load()
    audio = read_wav(DEMO_QUESTION)
    recognizer = make_recognizer(catalog, "en")
    t0 = time.perf_counter()
    recognizer.start()
    for i in range(0, audio.frames, 512):
        recognizer.accept(audio.slice(i, i + 512))
    recognizer.finish()
    measure("ASR real-time factor", (time.perf_counter() - t0) / audio.seconds, "", "asr_rtf_max")
    tts = make_synthesizer(catalog, "en")
    t0 = time.perf_counter()
    seconds = sum(s.audio.seconds for s in tts.synthesize("The museum opens at nine and closes at five."))
    measure("TTS real-time factor", (time.perf_counter() - t0) / seconds, "", "tts_rtf_max")


@pytest.mark.compute
def test_end_of_speech_to_first_audio_on_a_recorded_question(measure, tmp_path):
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "runtime", "run", "--input", str(DEMO_QUESTION), "--output",
                           "null", "--display", "headless", "--pace", "realtime", "--report", str(report)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    [turn] = json.loads(report.read_text())["turns"]
    t = turn["timings"]
    measure("end of speech -> first audio", t["first_audio_ms"] - t["speech_end_ms"], "ms", "first_audio_ms_max")
