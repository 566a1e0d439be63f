"""Loudness measures on float samples (pure): where speech really starts and ends."""

from __future__ import annotations

import math

import numpy as np

FRAME_S = 0.01
SILENCE_DBFS = -120.0   # the level of digital silence (an RMS of 1e-6 and under)


def level_dbfs(rms: float) -> float:
    """An RMS (full scale 1.0) in dBFS, floored at SILENCE_DBFS."""
    return 20 * math.log10(max(rms, 1e-6))


def frame_rms(samples: np.ndarray, rate: int, frame_s: float = FRAME_S) -> np.ndarray:
    hop = max(1, int(frame_s * rate))
    n = len(samples) // hop
    if n == 0:
        return np.zeros(0)
    return np.sqrt(np.mean(np.asarray(samples[:n * hop], dtype=np.float64).reshape(n, hop) ** 2, axis=1))


def speech_bounds(samples: np.ndarray, rate: int, below_peak_db: float = 35.0) -> tuple[float, float] | None:
    """(start_s, end_s) of the span louder than `below_peak_db` under the loudest 10 ms, or None."""
    rms = frame_rms(samples, rate)
    if not len(rms) or rms.max() <= 0:
        return None
    loud = np.nonzero(rms >= rms.max() * 10 ** (-below_peak_db / 20))[0]
    return loud[0] * FRAME_S, (loud[-1] + 1) * FRAME_S
