"""Log-mel frames, 10 ms apart, computed the same way in training and on the board.

Pure numpy, streaming: `LogMelStream.push(samples)` returns the frames that are
complete so far. 16 kHz mono, 25 ms Hann window, 10 ms hop, 40 mel bands
(80–7600 Hz), natural-log power with a floor. The recipe in
`models_quantized/recipes/audio_visemes/` imports this module, so the model sees
exactly the features it was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from runtime.audio.chunk import PIPELINE_RATE

RATE = PIPELINE_RATE
HOP = 160          # 10 ms
WINDOW = 400       # 25 ms
FFT = 512
MELS = 40
FMIN, FMAX = 80.0, 7600.0
FLOOR = 1e-6       # log floor (about -60 dB re full-scale power per band)


def _hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _mel_to_hz(mel):
    return 700.0 * (10 ** (np.asarray(mel) / 2595.0) - 1.0)


@lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """[FFT//2+1, MELS] triangular filters (HTK mel scale)."""
    edges = _mel_to_hz(np.linspace(_hz_to_mel(FMIN), _hz_to_mel(FMAX), MELS + 2))
    freqs = np.linspace(0, RATE / 2, FFT // 2 + 1)
    bank = np.zeros((FFT // 2 + 1, MELS), dtype=np.float32)
    for m in range(MELS):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        rising = (freqs - lo) / (mid - lo)
        falling = (hi - freqs) / (hi - mid)
        bank[:, m] = np.maximum(0.0, np.minimum(rising, falling))
    return bank


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    return np.hanning(WINDOW).astype(np.float32)


def log_mel(samples: np.ndarray) -> np.ndarray:
    """[frames, MELS] for float samples in [-1, 1] at 16 kHz; frame i covers samples
    [i*HOP, i*HOP + WINDOW), so its centre is at i*10 ms + 12.5 ms."""
    x = np.asarray(samples, dtype=np.float32)
    if x.size < WINDOW:
        return np.zeros((0, MELS), dtype=np.float32)
    frames = 1 + (x.size - WINDOW) // HOP
    idx = np.arange(WINDOW)[None, :] + HOP * np.arange(frames)[:, None]
    spectrum = np.abs(np.fft.rfft(x[idx] * _window(), n=FFT, axis=1)) ** 2 / WINDOW
    return np.log(spectrum.astype(np.float32) @ mel_filterbank() + FLOOR)


@dataclass
class LogMelStream:
    """Feed 16 kHz float samples in any chunk sizes; get every complete frame once."""

    _pending: np.ndarray = None  # type: ignore[assignment]

    def __post_init__(self):
        self._pending = np.zeros(0, dtype=np.float32)

    def push(self, samples: np.ndarray) -> np.ndarray:
        self._pending = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32)])
        frames = log_mel(self._pending)
        if len(frames):
            self._pending = self._pending[len(frames) * HOP:]
        return frames
