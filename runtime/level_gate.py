"""Background babble is speech to any VAD: only speech loud enough over the venue's noise is a visitor.

Pure: per frame it takes the frame's level and the VAD's probability and returns
the probability, or 0 when the frame is not `margin_db` above the running noise
floor (a slow minimum follower) or below `min_dbfs`. A visitor at the kiosk is
close to its microphone; the crowd behind them is not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class LevelGate:
    margin_db: float = 12.0
    min_dbfs: float = -50.0
    rise_db_per_s: float = 6.0     # how fast the floor follows the noise up
    fall_db_per_s: float = 10.0    # and down: the gaps between a crowd's words do not empty the floor
    floor_db: float | None = None  # set by the first frame

    def gate(self, prob: float, rms: float, seconds: float) -> float:
        level = 20 * math.log10(max(rms, 1e-6))
        if self.floor_db is None:
            self.floor_db = level - self.margin_db   # a kiosk switched on in a busy hall learns it at once
        if level < self.floor_db:
            self.floor_db = max(level, self.floor_db - self.fall_db_per_s * seconds)
        else:
            self.floor_db = min(level, self.floor_db + self.rise_db_per_s * seconds)
        if level < self.min_dbfs or level < self.floor_db + self.margin_db:
            return 0.0
        return prob
