"""A simulated speaker-to-microphone path: delay, attenuation, a generated room, mall babble.

For tests and benchmarks of barge-in (nothing here runs on a kiosk): the avatar's
own voice comes back into the "microphone" as it would in a venue.
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from .chunk import PIPELINE_RATE, AudioChunk

RATE = PIPELINE_RATE


def room_impulse_response(rng: np.random.Generator, rt60_s: float = 0.35, delay_s: float = 0.012,
                          rate: int = RATE) -> np.ndarray:
    """Direct path after `delay_s`, then an exponentially decaying diffuse tail (60 dB in rt60_s),
    low-passed a little (a small kiosk speaker)."""
    n = int((delay_s + rt60_s) * rate)
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * np.exp(-6.91 * np.maximum(t - delay_s, 0) / rt60_s) * 0.35
    tail[: int(delay_s * rate)] = 0.0
    rir = tail
    rir[int(delay_s * rate)] += 1.0
    rir = np.convolve(rir, np.ones(4) / 4)[:n]
    return (rir / np.sqrt(np.sum(rir ** 2))).astype(np.float32)


class EchoLoopSource:
    """Wraps a source: each chunk gets the echo of what the speaker played at that time
    (`played(start, seconds)` -> 16 kHz samples), through `rir`, `gain_db` down, plus `noise`."""

    def __init__(self, inner, played: Callable[[float, float], np.ndarray], rir: np.ndarray,
                 gain_db: float = -6.0, noise: np.ndarray | None = None):
        self.inner, self.played, self.rir = inner, played, rir
        self.gain = 10 ** (gain_db / 20)
        self.noise = noise
        self.name = f"{inner.name}+echo"
        self._tail = np.zeros(len(rir) - 1, dtype=np.float32)
        self._pos = 0

    def now(self) -> float:
        return self.inner.now()

    @property
    def duration(self) -> float:
        return getattr(self.inner, "duration", 0.0)

    def chunks(self) -> Iterator[AudioChunk]:
        for chunk in self.inner.chunks():
            x = chunk.float_samples()
            far = self.played(chunk.timestamp, chunk.seconds)[: x.size]
            far = np.pad(far, (0, x.size - far.size))
            full = np.concatenate([self._tail, far])
            echo = np.convolve(full, self.rir, mode="valid")[: x.size] * self.gain
            self._tail = full[-(len(self.rir) - 1):]
            mixed = x + echo
            if self.noise is not None:
                idx = (self._pos + np.arange(x.size)) % self.noise.size
                mixed = mixed + self.noise[idx]
            self._pos += x.size
            yield AudioChunk.from_float(np.clip(mixed, -1, 1), chunk.rate, chunk.timestamp)

    def close(self) -> None:
        self.inner.close()
