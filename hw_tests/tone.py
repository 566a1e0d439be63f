"""Tone loopback analysis (pure): the frequency heard, the delay, and clipping."""

from __future__ import annotations

import numpy as np


def tone(freq: float, seconds: float, rate: int, level: float = 0.5, fade_s: float = 0.01) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = level * np.sin(2 * np.pi * freq * t)
    n = int(fade_s * rate)
    if n:
        ramp = np.linspace(0, 1, n)
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x.astype(np.float32)


def dominant_frequency(x: np.ndarray, rate: int) -> float:
    windowed = x * np.hanning(len(x))
    spectrum = np.abs(np.fft.rfft(windowed))
    spectrum[:int(50 * len(x) / rate)] = 0   # ignore DC and hum below 50 Hz
    return float(np.argmax(spectrum) * rate / len(x))


def delay_seconds(played: np.ndarray, recorded: np.ndarray, rate: int) -> float:
    """Where `played` starts inside `recorded` (cross-correlation peak), in seconds."""
    n = len(played) + len(recorded)
    size = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(recorded, size) * np.conj(np.fft.rfft(played, size)), size)
    return float(np.argmax(corr[:len(recorded)]) / rate)


def clipped_fraction(x: np.ndarray, limit: float = 0.99) -> float:
    return float(np.mean(np.abs(x) >= limit)) if len(x) else 0.0
