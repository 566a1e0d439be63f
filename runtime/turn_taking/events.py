"""Run events: one vocabulary for the avatar, the log, the report and fleet telemetry."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class RunEvent(str, enum.Enum):
    SPEECH_STARTED = "speech-started"
    SPECULATION_STARTED = "speculation-started"
    SPECULATION_DROPPED = "speculation-dropped"
    TURN_ENDED = "turn-ended"
    TURN_DISCARDED = "turn-discarded"
    ANSWER_READY = "answer-ready"
    AUDIO_STARTED = "audio-started"
    AUDIO_FINISHED = "audio-finished"
    ERROR = "error"


@dataclass(frozen=True)
class TurnEnd:
    """What the listener knows when a visitor's turn is over (times on the input time line)."""

    transcript: str
    speech_start: float
    speech_end: float
    decided_at: float   # when the endpointer decided the turn was over
    asr_final_at: float
    waited_s: float
    end_hint: str = "none"   # complete / hesitating / none: which end silence applied
    heard_from: float | None = None   # the audio the recogniser was given: from its lead-in ...
    heard_to: float | None = None     # ... to the end of the pause it heard (a quiet ending included)

    @property
    def heard_span(self) -> tuple[float, float]:
        """Where the turn's voiced seconds lie: its speech, and all the recogniser heard around it."""
        start = self.speech_start if self.heard_from is None else min(self.speech_start, self.heard_from)
        end = self.speech_end if self.heard_to is None else max(self.speech_end, self.heard_to)
        return start, end


@dataclass(frozen=True)
class DiscardedTurn:
    """Speech the listener did not make a turn of, and why (the run report says so)."""

    speech_start: float
    speech_end: float
    at: float
    reason: str


CROWD = "crowd or far talker (its speech not loud enough over the hall)"
TOO_SHORT = "too short to be a turn (a click, a cough)"


@dataclass(frozen=True)
class Speculation:
    partial: str
    at: float
