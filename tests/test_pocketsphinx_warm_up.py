"""pocketsphinx's warm-up at load (one utterance of quiet noise) must not change what the first visitor
is heard as: pocketsphinx carries its cepstral mean from utterance to utterance, and a first turn
normalised by quiet noise's mean lost words in real café noise (bench/results/asr.json, 64.8 -> 76.0 %
WER through `run`). Real engine, a real recording mixed with the real café recording by the bench's mixer."""

from __future__ import annotations

import pytest
from pocketsphinx import Decoder

from bench import noise_mix
from runtime.asr.pocketsphinx_asr import PocketsphinxRecognizer
from runtime.audio.chunk import AudioChunk
from runtime.composition.backends import make_recognizer
from tests.conftest import SHARED

pytestmark = pytest.mark.slow

CAFE = SHARED / "noise" / "cafe_restaurant_ambience.wav"
READING = SHARED / "speech" / "arctic-en" / "aew_a0001.wav"     # "Author of the danger trail, Philip Steels, etc."
STEP = 512


def first_turn_words(recognizer, samples) -> str:
    recognizer.start()
    for i in range(0, len(samples), STEP):
        recognizer.accept(AudioChunk(16000, 2, 1, samples[i:i + STEP].tobytes()))
    return recognizer.finish()


def test_the_warm_up_leaves_the_cepstral_mean_as_the_model_starts_it(catalog):
    warmed = make_recognizer(catalog, "en", asr="pocketsphinx")
    fresh = Decoder(warmed._decoder.config)
    assert warmed._decoder.get_cmn() == fresh.get_cmn()


def test_a_first_turn_in_cafe_noise_is_heard_as_without_the_warm_up(catalog, monkeypatch):
    if not (CAFE.exists() and READING.exists()):
        pytest.skip("../shared/noise or ../shared/speech is not here")
    mixed = noise_mix.mix(noise_mix.read_wav16(READING), noise_mix.read_wav16(CAFE), 10.0,
                          noise_mix.mix_seed(0, CAFE.name, "arctic-en/aew_a0001")).samples
    warmed = first_turn_words(make_recognizer(catalog, "en", asr="pocketsphinx"), mixed)
    monkeypatch.setattr(PocketsphinxRecognizer, "_warm_up", lambda self: None)
    cold = first_turn_words(make_recognizer(catalog, "en", asr="pocketsphinx"), mixed)
    assert warmed == cold
    assert "danger trail" in warmed
