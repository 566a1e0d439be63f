"""Background babble is speech to any VAD: only speech loud enough over the venue's noise is a visitor.

Pure: per frame it takes the frame's level and the VAD's probability and returns
the probability, or 0 when the frame is not `margin_db` above the hall's noise
floor or below `min_dbfs`. A visitor at the kiosk is close to its microphone; the
crowd behind them is not.

The floor is the median level of the last `window_s` of frames (a crowd's murmur
is continuous; its median is where it sits, its peaks are some 8 dB above). Not
every frame is evidence of the hall's noise:
- while the avatar speaks the echo canceller's suppressor empties the microphone
  far below the real noise; learning then would open the gate to the crowd the
  moment the avatar stops, so those frames are left out (`learn=False`);
- a visitor's own turn is not noise: during a turn only one frame in
  `in_turn_every` is taken, enough that a turn the crowd opened still closes.

A crowd's loudest syllables still clear the frame margin now and then and can open
a turn; a whole turn is judged too (`near_talker`): the median level of its speech
frames must stand `turn_margin_db` above the floor. A visitor at the kiosk stands
some 20-25 dB above the murmur; a burst of crowd, some 12.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class LevelGate:
    margin_db: float = 15.0
    turn_margin_db: float = 18.0
    min_dbfs: float = -50.0
    window_s: float = 8.0
    in_turn_every: int = 4
    frame_s: float = 0.032
    levels: collections.deque = field(default_factory=collections.deque)
    floor_db: float | None = None
    _in_turn_count: int = 0

    def gate(self, prob: float, rms: float, seconds: float, learn: bool = True, in_turn: bool = False) -> float:
        level = 20 * math.log10(max(rms, 1e-6))
        if learn and self._take(in_turn):
            self.levels.append(level)
            while len(self.levels) > max(1, round(self.window_s / self.frame_s)):
                self.levels.popleft()
            self.floor_db = float(np.median(self.levels))
        if level < self.min_dbfs or (self.floor_db is not None and level < self.floor_db + self.margin_db):
            return 0.0
        return prob

    def near_talker(self, speech_levels_db: list[float], floor_db: float | None = None) -> bool:
        """Was a turn with these speech-frame levels someone talking to the kiosk? Judged against
        `floor_db`, the floor when the turn began (a long turn's own frames raise the floor as it
        goes: against that, a visitor who spoke long enough would be taken for the crowd)."""
        floor = self.floor_db if floor_db is None else floor_db
        if not speech_levels_db or floor is None:
            return True
        return float(np.median(speech_levels_db)) >= floor + self.turn_margin_db

    def _take(self, in_turn: bool) -> bool:
        if not in_turn:
            self._in_turn_count = 0
            return True
        self._in_turn_count += 1
        return self._in_turn_count % self.in_turn_every == 0
