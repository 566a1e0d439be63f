"""The two judgements of turn-taking behind small interfaces (as pipecat's turn analyser and
interruption strategy): when is the visitor's turn over, and is a sound over the avatar an
interruption. The real ones are `Endpointer` (endpointing.py) and `BargeInDetector` (barge_in.py);
both are pure (time and data in, decisions out), so a recording of their inputs replays exactly.
A test double for each lives beside them; the listener and `BargeInControl` take any of these.
"""

from __future__ import annotations

from typing import Protocol

from .barge_in import Decision
from .endpointing import EndpointConfig, EndpointEvent
from .turn_hints import EndHint


class TurnEndJudge(Protocol):
    """Frames of speech probability in, turn events out (SPEECH_STARTED, SPECULATE, TURN_ENDED…)."""

    config: EndpointConfig

    @property
    def in_turn(self) -> bool: ...

    @property
    def in_pause(self) -> bool:
        """In a turn, in a silence that may yet end it."""
        ...

    @property
    def speech_start(self) -> float: ...

    @property
    def speech_end(self) -> float: ...

    def process(self, start: float, seconds: float, speech_prob: float,
                hint: EndHint | bool = EndHint.NONE) -> list[EndpointEvent]: ...

    def flush(self, now: float) -> list[EndpointEvent]:
        """End of input: close the open turn."""
        ...


class InterruptionJudge(Protocol):
    """One frame of the microphone and the speaker in; PAUSE, RESUME or CONFIRM out, when decided."""

    onset: float | None        # where the sound over the avatar began
    heard_alone: bool          # at the last RESUME: it went on while the avatar was silent

    @property
    def paused(self) -> bool: ...

    @property
    def confirmed(self) -> bool: ...

    def reset(self) -> None:
        """Watch afresh (the interruption's turn is over)."""
        ...

    def frame(self, t: float, seconds: float, speech_prob: float, mic_rms: float, far_rms: float,
              avatar_speaking: bool, linear_rms: float | None = None,
              floor_db: float | None = None, clipped: bool = False) -> Decision | None: ...

    def confirm(self) -> Decision:
        """The words decided it: an interruption."""
        ...


class ScriptedInterruptions:
    """Test double: answers each frame with the next scripted decision (None: nothing decided)."""

    def __init__(self, decisions: list[Decision | None], onset: float = 0.0):
        self._decisions = list(decisions)
        self.onset: float | None = onset
        self.heard_alone = False
        self._paused = False
        self.confirmed = False

    @property
    def paused(self) -> bool:
        return self._paused

    def frame(self, t: float, seconds: float, speech_prob: float, mic_rms: float, far_rms: float,
              avatar_speaking: bool, linear_rms: float | None = None,
              floor_db: float | None = None, clipped: bool = False) -> Decision | None:
        decision = self._decisions.pop(0) if self._decisions else None
        if decision is Decision.PAUSE:
            self._paused = True
        elif decision in (Decision.RESUME, Decision.CONFIRM):
            self._paused = False
            self.confirmed = decision is Decision.CONFIRM
        return decision

    def confirm(self) -> Decision:
        self._paused, self.confirmed = False, True
        return Decision.CONFIRM

    def reset(self) -> None:
        self._paused = self.confirmed = False
