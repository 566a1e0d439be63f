"""Whisper's no-speech guard: what it drops is Whisper's guess in noise ("Thank you."), not a visitor
whose words came through clatter. Real model, the mall's venue prompt and both its languages (as
`edge-avatar run --content mall-demo --asr whisper-base` makes it), real recordings mixed by the
bench's mixer."""

from __future__ import annotations

import numpy as np
import pytest

from bench import noise_mix
from runtime.asr.phrase_hints import pack_phrases
from runtime.asr.scoring import word_errors
from runtime.asr.whisper_decoder import DecoderSettings, heard_speech
from runtime.dialogue.content_pack import load_content_pack
from runtime.listening.transcribe import transcribe_file
from runtime.listening.vad import make_vad
from tests.conftest import SHARED, _whisper_base

NOISES = sorted((SHARED / "noise").glob("*.wav"))
READING = SHARED / "speech" / "librivox-en" / "s0890.wav"


@pytest.mark.parametrize("no_speech, avg_logprob, kept", [
    (0.10, -0.9, True),      # sure it is speech
    (0.30, -1.2, False),     # some doubt, and unlikely words
    (0.35, -0.20, True),     # a reading in dish clatter: Whisper unsure it is speech, sure of the words
    (0.56, -0.59, False),    # café noise at -24 dBFS: "Thank you."
    (0.68, -0.31, False),    # crowd noise: "Thank you."
    (0.62, -0.10, False),    # past 0.6 nothing is kept
])
def test_the_guard_keeps_likely_words_and_drops_noise_guesses(no_speech, avg_logprob, kept):
    assert heard_speech(no_speech, avg_logprob, "en", DecoderSettings()) is kept


@pytest.fixture(scope="module")
def mall_whisper(catalog, mall_pack_dir, tmp_path_factory):
    pack = load_content_pack(mall_pack_dir)
    return _whisper_base(catalog, tmp_path_factory.mktemp("mall-whisper"), "en", phrases=pack_phrases(pack, "en"),
                         others={"zh": pack_phrases(pack, "zh")})


@pytest.mark.slow
def test_a_reading_in_dish_clatter_is_heard(mall_whisper, tmp_path):
    """Decoded right, but once dropped: no-speech 0.35 (the English limit) at log-prob -0.20."""
    dish = SHARED / "noise" / "dish_clatter_kitchen.wav"
    if not (READING.exists() and dish.exists()):
        pytest.skip("../shared/speech or ../shared/noise is not here")
    mixed = noise_mix.mix(noise_mix.read_wav16(READING), noise_mix.read_wav16(dish), 10.0,
                          noise_mix.mix_seed(0, dish.name, "librivox-en/s0890"))
    path = tmp_path / "s0890_dish.wav"
    noise_mix.write_wav16(path, mixed.samples)
    text = " ".join(t.transcript for t in transcribe_file(path, mall_whisper, make_vad("silero")))
    errors, words = word_errors(READING.with_suffix(".txt").read_text(), text)
    assert errors <= 3, f"heard as {text!r}"


@pytest.mark.slow
@pytest.mark.parametrize("noise", NOISES, ids=[n.stem for n in NOISES])
def test_a_recorded_noise_without_a_visitor_gives_no_words(mall_whisper, noise, tmp_path):
    """Four seconds of each recorded place, loud (-24 dBFS RMS), through the listening path."""
    samples = noise_mix.read_wav16(noise)[6 * 16000:10 * 16000].astype(np.float32)
    samples *= 10 ** (-24 / 20) * 32768 / max(1.0, float(np.sqrt(np.mean(samples ** 2))))
    path = tmp_path / noise.name
    noise_mix.write_wav16(path, np.clip(samples, -32768, 32767).astype(np.int16))
    heard = [t.transcript for t in transcribe_file(path, mall_whisper, make_vad("silero")) if t.transcript]
    assert heard == []
