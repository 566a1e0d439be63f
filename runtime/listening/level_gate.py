"""Background babble is speech to any VAD: only speech loud enough over the venue's noise is a visitor.

Pure: per frame it takes the frame's level and the VAD's probability and returns the probability, or
0 when the frame is not loud enough over the hall's noise floor (or below `min_dbfs`). A visitor at the
kiosk is close to its microphone; the crowd behind them is not.

The floor is a low percentile (`floor_percentile`) of the last `window_s` of frames: where the hall
sits between its louder moments (a crowd's murmur is continuous; its peaks stand some 8 dB over its
median). Not every frame is evidence of the hall's noise:
- while the avatar speaks the echo canceller's suppressor empties the microphone far below the real
  noise; learning then would open the gate to the crowd the moment the avatar stops, so those frames
  are left out (`learn=False`);
- a visitor's own voice is not the hall: within a turn the frames the VAD calls silence are learned
  (the gaps between words) and one speech frame in `in_turn_every`, so a turn the crowd opened still
  closes, also when the crowd was talking from the very first frame (a voiced hall has no gaps);
- until `warmup_s` of the hall has been heard (between turns or in a turn's silences) nothing is
  gated: a visitor who talks from the very first frame (at start-up, after a restart) is heard, not
  learned as the floor. A hall voiced from the first frame has no silences: after `voiced_warmup_s`
  of it within a turn (longer than a visitor talks without a gap) its sampled frames set the floor.

Opening a turn takes `margin_db` over the floor, and so does resuming after a pause (which must also
come within `resume_below_turn_db` of the turn's own speech level: a visitor much louder than the
crowd is not kept talking by it); while the visitor is speaking `hold_margin_db` is enough (hysteresis: real voices fall in level at a sentence's end and
between phrases; a crowd that could hold a pause open would never let a turn end). A crowd's loudest syllables still
clear the opening margin now and then; a whole turn is judged too (`near_talker`): the median level of
its speech frames must stand `turn_margin_db` above the floor when it began. Measured on real speech
with real café, street and transit recordings mixed under it (bench/asr.py, docs/listening.md).
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass, field

import numpy as np

from .turn_state import NO_TURN, TurnState

SILENCE_PROB = 0.35   # under this the VAD calls a frame silence (the endpointer's silence threshold)


@dataclass
class LevelGate:
    margin_db: float = 9.0
    hold_margin_db: float = 4.0
    turn_margin_db: float = 10.0
    resume_below_turn_db: float = 12.0
    min_dbfs: float = -55.0
    window_s: float = 8.0
    floor_percentile: float = 20.0
    warmup_s: float = 0.5
    voiced_warmup_s: float = 4.0
    in_turn_every: int = 4
    frame_s: float = 0.032
    levels: collections.deque = field(default_factory=collections.deque)
    floor_db: float | None = None
    _in_turn_count: int = 0
    _hall_s: float = 0.0     # learned frames that were the hall: between turns, or a turn's silences
    _voiced_s: float = 0.0   # voiced seconds within turns the learned speech frames stand for

    def gate(self, prob: float, rms: float, seconds: float, learn: bool = True, turn: TurnState = NO_TURN) -> float:
        """`turn`: where the listener is in a visitor's turn (none, speaking, paused; its level)."""
        level = 20 * math.log10(max(rms, 1e-6))
        if learn and self._take(prob, turn.in_turn, seconds):
            self.levels.append(level)
            while len(self.levels) > max(1, round(self.window_s / self.frame_s)):
                self.levels.popleft()
            if self.floor_db is not None or self._hall_s >= self.warmup_s or self._voiced_s >= self.voiced_warmup_s:
                self.floor_db = float(np.percentile(self.levels, self.floor_percentile))
        margin = self.hold_margin_db if turn.in_turn and not turn.paused else self.margin_db
        if level < self.min_dbfs or (self.floor_db is not None and level < self.floor_db + margin):
            return 0.0
        if turn.paused and turn.level_db is not None and level < turn.level_db - self.resume_below_turn_db:
            return 0.0    # far under the visitor's own voice: the crowd behind them, not their next word
        return prob

    def near_talker(self, speech_levels_db: list[float], floor_db: float | None = None) -> bool:
        """Was a turn with these speech-frame levels someone talking to the kiosk? Judged against
        `floor_db`, the floor when the turn began (a long turn's own frames raise the floor as it
        goes: against that, a visitor who spoke long enough would be taken for the crowd)."""
        floor = self.floor_db if floor_db is None else floor_db
        if not speech_levels_db or floor is None:
            return True
        return float(np.median(speech_levels_db)) >= floor + self.turn_margin_db

    def _take(self, prob: float, in_turn: bool, seconds: float) -> bool:
        if not in_turn:
            self._in_turn_count = 0
        if not in_turn or prob < SILENCE_PROB:
            self._hall_s += seconds
            return True
        self._in_turn_count += 1
        if self._in_turn_count % self.in_turn_every:
            return False
        self._voiced_s += seconds * self.in_turn_every
        return True
