"""The project's own Whisper log-mel equals faster-whisper's (the reference), on real speech."""

from __future__ import annotations

import numpy as np
import pytest

from runtime.asr.whisper_features import WINDOW_FRAMES, log_mel, mel_filters
from runtime.audio.sources import read_wav
from tests.conftest import SHARED


def speech() -> np.ndarray:
    chunk = read_wav(SHARED / "speech" / "cathy-en" / "arctic_a0098_1592746262.wav")
    return np.frombuffer(chunk.audio, dtype=np.int16).astype(np.float32) / 32768


def test_the_features_equal_faster_whispers():
    feature_extractor = pytest.importorskip("faster_whisper.feature_extractor",
                                            reason="faster-whisper (a test dependency) is the reference")
    audio = speech()
    reference = feature_extractor.FeatureExtractor()(audio, padding=0)
    ours = log_mel(audio)
    assert ours.shape == reference.shape == (80, len(audio) // 160)
    np.testing.assert_allclose(ours, reference, atol=1e-4)


def test_a_padded_window_is_whispers_30_seconds_of_silence_after_the_speech():
    audio = speech()
    window = log_mel(audio, pad_to=WINDOW_FRAMES)
    assert window.shape == (80, WINDOW_FRAMES)
    np.testing.assert_allclose(window[:, :50], log_mel(audio)[:, :50], atol=1e-5)   # the speech is unchanged
    floor = window.max() - 2.0                   # 8 decades under the peak, scaled by 1/4
    assert np.allclose(window[:, -100:], floor, atol=1e-5)      # the padding sits at the floor
    assert mel_filters().shape == (80, 201) and mel_filters().min() >= 0
