"""Fixed-timestep accumulator: how many animation steps reach a given time."""

from __future__ import annotations

FIXED_DT = 1.0 / 60.0


class FixedStepClock:
    """Steps of `dt` to run so the animation reaches `t` (never more than asked, never a partial step)."""

    def __init__(self, dt: float = FIXED_DT):
        self.dt = dt
        self.t = 0.0

    def steps_to(self, t: float) -> int:
        n = int((t - self.t) / self.dt + 1e-9)
        if n <= 0:
            return 0
        self.t += n * self.dt
        return n
