"""What the speaker plays, on the output time line: the echo canceller's reference and the barge-in
gate's. Kept for the last minute at 16 kHz."""

from __future__ import annotations

import numpy as np

from .chunk import PIPELINE_RATE


class PlayedAudio:
    """What the speaker plays, on the output time line: 16 kHz samples (the last minute) and
    their loudness — the echo canceller's reference and the barge-in gate's."""

    RATE = PIPELINE_RATE
    KEEP_S = 60.0

    def __init__(self) -> None:
        self.start = 0.0                         # time of samples[0]
        self.samples = np.zeros(0, dtype=np.float32)

    def add(self, start: float, chunk) -> None:
        x = chunk.converted(rate=self.RATE, channels=1).float_samples().astype(np.float32)
        if not self.samples.size:
            self.start = start
        first = int(round((start - self.start) * self.RATE))
        if first < 0:
            x, first = x[-first:], 0
        need = first + x.size
        if need > self.samples.size:
            self.samples = np.concatenate([self.samples, np.zeros(need - self.samples.size, dtype=np.float32)])
        self.samples[first:need] = x
        drop = self.samples.size - int(self.KEEP_S * self.RATE)
        if drop > 0:
            self.samples, self.start = self.samples[drop:], self.start + drop / self.RATE

    def cut(self, t: float) -> None:
        i = max(0, int(round((t - self.start) * self.RATE)))
        self.samples = self.samples[:i]

    def samples_between(self, t0: float, t1: float):
        i0, i1 = int(round((t0 - self.start) * self.RATE)), int(round((t1 - self.start) * self.RATE))
        out = np.zeros(max(0, i1 - i0), dtype=np.float32)
        a, b = max(i0, 0), min(i1, self.samples.size)
        if b > a:
            out[a - i0:b - i0] = self.samples[a:b]
        return out

    def at(self, t: float) -> float:
        x = self.samples_between(t, t + 0.032)
        return float(np.sqrt(np.mean(x * x))) if x.size else 0.0

    def loudest(self, t0: float, t1: float, window_s: float = 0.032) -> float:
        """The highest RMS of any `window_s` window played in [t0, t1] (0 when silent): what a
        room's reverberation could still carry into the microphone at t1."""
        n = int(round(window_s * self.RATE))
        x = self.samples_between(t0, t1 + window_s)
        whole = x.size // n
        if not whole:
            return 0.0
        frames = x[: whole * n].reshape(whole, n)
        return float(np.sqrt(np.max(np.mean(frames * frames, axis=1))))
