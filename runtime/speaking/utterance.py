"""One answer being spoken, as a state machine.

Two threads move an utterance: the main loop (say, release, drop, pause, resume, interrupt) and the
"speech-output" worker (a clause synthesised, a clause handed to the sink, the last one handed over
or a synthesiser fault). Each move is a `Step`; `TABLE` says, for each state, which steps it takes
and where they lead. `Utterance.step` moves under the utterance's lock and sets the events waiters
use (`EVENTS`); a step the table does not allow raises `IllegalStep`. Some steps keep the state
(the worker finishing a dropped utterance) and only set an event.
"""

from __future__ import annotations

import threading
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runtime.tts.base import SpeechSegment


class State(Enum):
    HELD = "held"          # said speculatively: synthesised, not played until released
    QUEUED = "queued"      # to be spoken: being synthesised, nothing on the sink yet
    PLAYING = "playing"    # clauses on the sink, the worker synthesising the rest
    DONE = "done"          # the worker handed over every clause (the sink may still be playing them)
    FAILED = "failed"      # the worker gave up on a synthesiser fault (`error`)
    PAUSED = "paused"      # stopped for a sound over it: goes on (`resume`) or is interrupted
    DROPPED = "dropped"    # dropped, or interrupted before it was heard: plays no more
    CUT = "cut"            # interrupted after it began: heard until `cut_at`


class Step(Enum):
    RELEASE = "release"    # main: play a held utterance
    DROP = "drop"          # main: play no more of it
    CUT = "cut"            # main: a barge-in stopped it after it began
    PAUSE = "pause"        # main: a sound over the avatar
    RESUME = "resume"      # main: only a backchannel; back to where it had got to
    READY = "ready"        # worker: the first clause is synthesised
    PLAY = "play"          # worker (or resume): a clause handed to the sink
    FINISH = "finish"      # worker: lets go, every clause handed over (or none left to hand)
    FAIL = "fail"          # worker: lets go, the synthesiser failed


S = State
# While the worker has it an utterance is HELD, QUEUED, PLAYING (or PAUSED, DROPPED, CUT); once it
# lets go, DONE or FAILED (or PAUSED, DROPPED, CUT). A dropped or cut one is neither paused nor played.
TABLE: dict[State, dict[Step, State | tuple[State, ...]]] = {
    S.HELD: {Step.RELEASE: S.QUEUED, Step.DROP: S.DROPPED, Step.PAUSE: S.PAUSED,
             Step.READY: S.HELD, Step.FINISH: S.DONE, Step.FAIL: S.FAILED},
    S.QUEUED: {Step.DROP: S.DROPPED, Step.PAUSE: S.PAUSED,
               Step.READY: S.QUEUED, Step.PLAY: S.PLAYING, Step.FINISH: S.DONE, Step.FAIL: S.FAILED},
    S.PLAYING: {Step.DROP: S.DROPPED, Step.CUT: S.CUT, Step.PAUSE: S.PAUSED,
                Step.PLAY: S.PLAYING, Step.FINISH: S.DONE, Step.FAIL: S.FAILED},
    S.DONE: {Step.RELEASE: S.DONE, Step.DROP: S.DROPPED, Step.CUT: S.CUT, Step.PAUSE: S.PAUSED,
             Step.PLAY: S.DONE},        # clauses held back by a pause go out on resume
    S.FAILED: {Step.RELEASE: S.FAILED, Step.DROP: S.DROPPED, Step.CUT: S.CUT, Step.PAUSE: S.PAUSED,
               Step.PLAY: S.FAILED},
    # resume goes back to where it had got to meanwhile (`Utterance._progress`)
    S.PAUSED: {Step.RESUME: (S.HELD, S.QUEUED, S.PLAYING, S.DONE, S.FAILED),
               Step.RELEASE: S.PAUSED, Step.DROP: S.DROPPED, Step.CUT: S.CUT,
               Step.READY: S.PAUSED, Step.FINISH: S.PAUSED, Step.FAIL: S.PAUSED},
    S.DROPPED: {Step.DROP: S.DROPPED, Step.CUT: S.CUT, Step.PAUSE: S.DROPPED,
                Step.READY: S.DROPPED, Step.FINISH: S.DROPPED, Step.FAIL: S.DROPPED},
    S.CUT: {Step.DROP: S.CUT, Step.PAUSE: S.CUT, Step.FINISH: S.CUT, Step.FAIL: S.CUT},
}
_LET_GO = ("first_ready", "first_played", "done")      # no waiter is left waiting
EVENTS: dict[Step, tuple[str, ...]] = {
    Step.RELEASE: ("released",), Step.DROP: ("released",), Step.CUT: ("released",),
    Step.READY: ("first_ready",), Step.PLAY: ("first_played",),
    Step.FINISH: _LET_GO, Step.FAIL: _LET_GO,
}


class IllegalStep(RuntimeError):
    """A move the state table does not allow (a bug in the caller, not bad input)."""


class Utterance:
    """One answer being spoken: its `state`, the events waiters use and its times on the session
    time line (seconds). Only `step` changes the state, `error` and `cut_at`."""

    def __init__(self, text: str, lang: str, held: bool = False, pace: float = 1.0):
        self.text = text
        self.lang = lang
        self.pace = pace                           # speaking rate against the voice's own (the mood's)
        self.ready: list[SpeechSegment] = []     # synthesised while held
        self.first_ready_at: float | None = None   # first clause synthesised
        self.first_audio_at: float | None = None   # first sample handed to the sink
        self.heard_from: float | None = None       # when the sink plays the first sample
        self.heard_until: float | None = None
        self.synth_seconds = 0.0                   # wall time spent in the synthesiser
        self.audio_seconds = 0.0
        self.paused_s = 0.0                        # time paused (not heard) between heard_from and heard_until
        self.done = threading.Event()              # the worker let go of it
        self.released = threading.Event()          # not held (any more): the worker may play it
        self.first_ready = threading.Event()
        self.first_played = threading.Event()
        self._error: str | None = None
        self._cut_at: float | None = None
        self._lock = threading.Lock()
        self._state = State.HELD
        if not held:
            self.step(Step.RELEASE)

    def step(self, step: Step, *, at: float | None = None, error: str | None = None) -> State:
        """Take `step` (CUT: stopped `at`; FAIL: with `error`) and return the new state."""
        with self._lock:
            before = self._state
            after = TABLE[before].get(step)
            if after is None:
                allowed = ", ".join(s.name for s, steps in TABLE.items() if step in steps)
                raise IllegalStep(f"utterance {self.text[:40]!r}: cannot {step.value} from {before.name} "
                                  f"(only from {allowed})")
            if isinstance(after, tuple):
                after = self._progress()
            if step is Step.CUT:
                self._cut_at = at
            if step is Step.FAIL:
                self._error = error
            self._state = after
            for name in EVENTS.get(step, ()):
                getattr(self, name).set()
            return after

    def _progress(self) -> State:
        """Where a paused utterance had got to (the worker goes on while it is paused)."""
        if self.done.is_set():
            return State.FAILED if self._error is not None else State.DONE
        if self.first_audio_at is not None:
            return State.PLAYING
        return State.QUEUED if self.released.is_set() else State.HELD

    @property
    def state(self) -> State:
        return self._state

    @property
    def held(self) -> bool:
        """Said held and not released (nor dropped) yet."""
        return not self.released.is_set()

    @property
    def dropped(self) -> bool:
        """Plays no more: dropped, or cut by a barge-in."""
        return self._state in (State.DROPPED, State.CUT)

    @property
    def paused(self) -> bool:
        """Stopped for a sound over it; may go on (`SpeechOutput.resume`)."""
        return self._state is State.PAUSED

    @property
    def error(self) -> str | None:
        return self._error

    @property
    def cut_at(self) -> float | None:
        """Barge-in: playback stopped here."""
        return self._cut_at

    def __repr__(self) -> str:
        return f"Utterance({self.text[:40]!r}, {self.lang}, {self._state.name})"
