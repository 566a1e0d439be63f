"""What the conversation loop keeps: answers in flight, a speculated answer, the run's record, and
how to get a recogniser and a voice for another language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from runtime.asr.base import Recognizer
from runtime.dialogue.content_pack import ContentPack
from runtime.dialogue.responder import Answer
from runtime.ops.event_recorder import EventKind
from runtime.speaking.speech_output import Utterance
from runtime.tts.base import Synthesizer
from runtime.turn_taking.events import TurnEnd


@dataclass
class PendingAnswer:
    turn: TurnEnd
    answer: Answer
    answer_ready_at: float
    utterance: Utterance
    speculative: bool
    opening: Utterance | None = None   # the disclosure, begun before the answer was decided
    continues: bool = False            # the turn's words include the turn before it, whose answer was cut


@dataclass
class Guess:
    answer: Answer
    utterance: Utterance
    at: float


@dataclass
class KioskRun:
    turns: list[dict[str, Any]] = field(default_factory=list)
    greetings: list[dict[str, Any]] = field(default_factory=list)
    discarded: int = 0
    barge_ins: list[dict[str, Any]] = field(default_factory=list)
    backchannels: list[dict[str, Any]] = field(default_factory=list)   # paused for a sound, then went on
    ignored_over_speech: int = 0   # sounds over the avatar's voice that were not a barge-in (echo, "uh-huh")
    speculations: int = 0
    speculation_hits: int = 0
    unheard: list[dict[str, Any]] = field(default_factory=list)   # spoke while the recogniser was down
    staff_alerts: list[dict[str, Any]] = field(default_factory=list)   # the safety layer called staff
    not_answered: list[dict[str, Any]] = field(default_factory=list)   # discarded or ignored, with the reason

    def on_event(self, kind: EventKind, data: dict[str, Any]) -> None:
        """The run report's subscription to the kiosk's EventRecorder."""
        if kind in self._LISTS:
            getattr(self, self._LISTS[kind]).append(data)
        if kind in self._COUNTS:
            setattr(self, self._COUNTS[kind], getattr(self, self._COUNTS[kind]) + 1)
        if kind in (EventKind.DISCARDED_TURN, EventKind.IGNORED_OVER_SPEECH):
            self.not_answered.append({"reason": kind.value, **data})

    _LISTS = {EventKind.TURN: "turns", EventKind.GREETING: "greetings", EventKind.BARGE_IN: "barge_ins",
              EventKind.BACKCHANNEL: "backchannels", EventKind.UNHEARD_TURN: "unheard",
              EventKind.STAFF_ALERT: "staff_alerts"}
    _COUNTS = {EventKind.DISCARDED_TURN: "discarded", EventKind.IGNORED_OVER_SPEECH: "ignored_over_speech",
               EventKind.SPECULATION: "speculations", EventKind.SPECULATION_USED: "speculation_hits"}


@dataclass(frozen=True)
class LanguageBackends:
    """How the kiosk gets a recogniser and a voice for a language the visitor switches to."""
    listenable: tuple[str, ...]                    # languages with an installed recogniser
    recognizer: Callable[[str, ContentPack], Recognizer]   # (language, pack for its phrase hints)
    voice: Callable[[str], Synthesizer]


CONTINUATION_GAP_S = 1.0   # speech this soon after a turn's end, over its answer, is the same sentence


def continued_turn(pending: list[PendingAnswer], onset: float) -> TurnEnd | None:
    """The visitor had only paused: the answer began in their pause and they went on with the same
    sentence (speech from `onset` interrupted it). The turn they finish now is the whole sentence:
    this is the turn it continues, or None."""
    stopped = [p for p in pending if p.utterance.dropped]      # cut, or dropped before it began
    return next((p.turn for p in reversed(stopped) if onset - p.turn.speech_end <= CONTINUATION_GAP_S), None)
