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
its speech frames must stand `turn_margin_db` above the floor when it began.

The hall's voices are learned too (`crowd_levels`): speech frames the gate kept from opening a turn,
and every frame of a turn judged the crowd. A turn opens or resumes only `crowd_open_db` above them,
is judged the crowd unless its median clears them by `crowd_margin_db` (and the hall's median by
`hall_margin_db`), and while a visitor speaks, a frame `hold_below_turn_db` under their level that
is not clearly above the hall's voices does not hold the turn open. Measured on real speech
with real café, street and transit recordings mixed under it (bench/asr.py, docs/listening.md).
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass, field

import numpy as np

from .turn_state import NO_TURN, TurnState

SILENCE_PROB = 0.35   # under this the VAD calls a frame silence (the endpointer's silence threshold)
CROWD_VOICE_PROB = 0.5   # a frame the VAD calls speech
CROWD_FRAMES = 4         # the crowd's voice heard this many frames before a turn is judged against it
HALL_FRAMES = 8   # frames of the hall (~0.25 s) before its median counts


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
    hold_below_turn_db: float = 12.0
    hall_margin_db: float = 6.0
    frame_s: float = 0.032
    levels: collections.deque = field(default_factory=collections.deque)
    hall_levels: collections.deque = field(default_factory=collections.deque)   # frames that were the hall
    crowd_levels: collections.deque = field(default_factory=collections.deque)  # voiced frames of the hall
    crowd_margin_db: float = 3.0
    crowd_open_db: float = 6.0
    floor_db: float | None = None
    _in_turn_count: int = 0
    _hall_s: float = 0.0     # learned frames that were the hall: between turns, or a turn's silences
    _voiced_s: float = 0.0   # voiced seconds within turns the learned speech frames stand for

    def gate(self, prob: float, rms: float, seconds: float, learn: bool = True, turn: TurnState = NO_TURN) -> float:
        """`turn`: where the listener is in a visitor's turn (none, speaking, paused; its level)."""
        level = 20 * math.log10(max(rms, 1e-6))
        if learn and self._take(prob, turn.in_turn, seconds):
            self.levels.append(level)
            if not turn.in_turn or prob < SILENCE_PROB:
                self.hall_levels.append(level)
            for kept in (self.levels, self.hall_levels):
                while len(kept) > max(1, round(self.window_s / self.frame_s)):
                    kept.popleft()
            if self.floor_db is not None or self._hall_s >= self.warmup_s or self._voiced_s >= self.voiced_warmup_s:
                self.floor_db = float(np.percentile(self.levels, self.floor_percentile))
        passed = self._decide(prob, level, turn)
        if learn and not passed and not turn.in_turn and prob >= CROWD_VOICE_PROB:
            self._learn_crowd([level])            # a voice the gate kept from opening a turn: the crowd's
        return passed

    def _decide(self, prob: float, level: float, turn: TurnState) -> float:
        margin = self.hold_margin_db if turn.in_turn and not turn.paused else self.margin_db
        if level < self.min_dbfs or (self.floor_db is not None and level < self.floor_db + margin):
            return 0.0
        crowd = self.crowd_median_db
        if (not turn.in_turn or turn.paused) and crowd is not None and level < crowd + self.crowd_open_db:
            return 0.0    # no louder than the crowd's own voices: it neither opens a turn nor resumes one
        if turn.paused and turn.level_db is not None and level < turn.level_db - self.resume_below_turn_db:
            return 0.0    # far under the visitor's own voice: the crowd behind them, not their next word
        above_hall = self._above_hall_db()
        if (turn.in_turn and not turn.paused and turn.level_db is not None and above_hall is not None
                and level < turn.level_db - self.hold_below_turn_db and level < above_hall):
            return 0.0    # neither near the visitor's voice nor above the hall's: the crowd holds no turn open
        return prob

    def _above_hall_db(self) -> float | None:
        """A level clearly above the hall: over its voices (the crowd) if it has any, else its murmur."""
        crowd, hall = self.crowd_median_db, self.hall_median_db
        if crowd is not None:
            return crowd + self.crowd_open_db
        return None if hall is None else hall + self.margin_db

    @property
    def crowd_median_db(self) -> float | None:
        """The level of the voices in the hall the gate kept from opening turns, or None."""
        if len(self.crowd_levels) < CROWD_FRAMES:
            return None
        return float(np.median(self.crowd_levels))

    @property
    def hall_median_db(self) -> float | None:
        """The hall's typical level (its murmur, not the floor between its syllables), or None."""
        if len(self.hall_levels) < HALL_FRAMES:
            return None
        return float(np.median(self.hall_levels))

    def near_talker(self, speech_levels_db: list[float], floor_db: float | None = None, learn: bool = True) -> bool:
        """Was a turn with these speech-frame levels someone talking to the kiosk? Judged against
        `floor_db`, the floor when the turn began (a long turn's own frames raise the floor as it
        goes: against that, a visitor who spoke long enough would be taken for the crowd). With
        `learn`, a turn judged not near is learned as the crowd's voice (it opens no turn at that
        level again); without, the caller learns it (`learn_crowd`) once the turn is given up."""
        near = self.judge_level(speech_levels_db, floor_db)
        if not near and learn:
            self._learn_crowd(speech_levels_db)
        return near

    def judge_level(self, speech_levels_db: list[float], floor_db: float | None = None) -> bool:
        """`near_talker`'s judgement alone: nothing is learned."""
        floor = self.floor_db if floor_db is None else floor_db
        if not speech_levels_db:
            return True
        median, hall, crowd = float(np.median(speech_levels_db)), self.hall_median_db, self.crowd_median_db
        return ((floor is None or median >= floor + self.turn_margin_db)
                and (hall is None or median >= hall + self.hall_margin_db)
                and (crowd is None or median >= crowd + self.crowd_margin_db))

    def learn_crowd(self, levels: list[float]) -> None:
        """A turn given up as the crowd's: its voice opens no turn at that level again."""
        self._learn_crowd(levels)

    def _learn_crowd(self, levels: list[float]) -> None:
        self.crowd_levels.extend(levels)
        while len(self.crowd_levels) > max(1, round(self.window_s / self.frame_s)):
            self.crowd_levels.popleft()

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
