"""The voice side of mood: level, pitch and speaking rate of a turn, against the visitor's own start. Pure.

A visitor's first turn is their baseline (people differ far more from each other than from
themselves); a later turn is *raised* when it is clearly louder, higher or faster than that.
Nothing of the audio is kept: only these three numbers, for as long as the visitor stays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PITCH_MIN_HZ, PITCH_MAX_HZ = 70.0, 400.0
FRAME_S = 0.04
RAISED_LEVEL_DB = 6.0     # louder than their start by this much
RAISED_PITCH = 1.25       # median pitch this much higher
RAISED_RATE = 1.3         # words (zh characters) a second this much faster


@dataclass(frozen=True)
class VoiceFeatures:
    level_db: float          # the voiced frames' median level, dBFS
    pitch_hz: float | None   # their median pitch (None: no voiced frame had one)
    rate: float | None       # words (en) or characters (zh) a second


def frame_pitch_hz(frame: np.ndarray, rate: int) -> float | None:
    """The pitch of one frame by normalised autocorrelation, or None when it is not periodic enough."""
    x = np.asarray(frame, dtype=np.float64)
    x = x - x.mean()
    energy = float(np.dot(x, x))
    if energy <= 1e-9:
        return None
    lo, hi = int(rate / PITCH_MAX_HZ), min(len(x) - 1, int(rate / PITCH_MIN_HZ))
    if hi <= lo:
        return None
    ac = np.correlate(x, x, mode="full")[len(x) - 1:]
    norm = ac[lo:hi + 1] / energy
    lag = int(np.argmax(norm))
    if norm[lag] < 0.5:
        return None
    return rate / (lo + lag)


def voice_features(samples: np.ndarray, rate: int, words: int = 0) -> VoiceFeatures | None:
    """Features of one turn's audio (float samples, full scale 1.0); `words`: how many were recognised."""
    hop = int(FRAME_S * rate)
    n = len(samples) // hop if hop else 0
    if n == 0:
        return None
    frames = np.asarray(samples[:n * hop], dtype=np.float64).reshape(n, hop)
    rms = np.sqrt(np.mean(frames ** 2, axis=1))
    loud = rms >= max(1e-4, float(np.max(rms)) * 10 ** (-25 / 20))   # within 25 dB of the turn's peak
    if not loud.any():
        return None
    level = float(np.median(20 * np.log10(np.maximum(rms[loud], 1e-6))))
    pitches = [p for p in (frame_pitch_hz(f, rate) for f in frames[loud]) if p is not None]
    voiced_s = float(loud.sum()) * FRAME_S
    return VoiceFeatures(level, float(np.median(pitches)) if pitches else None,
                         words / voiced_s if words and voiced_s > 0 else None)


def raised(now: VoiceFeatures, start: VoiceFeatures) -> bool:
    """Is this turn's voice clearly louder, higher or faster than the visitor's first turn?"""
    if now.level_db - start.level_db >= RAISED_LEVEL_DB:
        return True
    if now.pitch_hz and start.pitch_hz and now.pitch_hz / start.pitch_hz >= RAISED_PITCH:
        return True
    return bool(now.rate and start.rate and now.rate / start.rate >= RAISED_RATE)


def word_count(text: str) -> int:
    """Words for a rate: English words, and each Han character as one (Mandarin has no spaces)."""
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    latin = len([w for w in "".join(" " if "\u4e00" <= ch <= "\u9fff" else ch for ch in text).split() if w])
    return han + latin
