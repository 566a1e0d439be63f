"""One visitor's mood, turn by turn: the words, the voice against their own start, the hand-over.

Only the per-turn label leaves this object (into the turn's record); the voice baseline (three
numbers) is forgotten when the visitor goes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .handover import Handover, HandoverState
from .labels import Mood
from .style import MoodStyle, style_for
from .text_mood import TextMood
from .voice import VoiceFeatures, raised


@dataclass(frozen=True)
class TurnMood:
    mood: Mood
    why: str               # the words, the scorer's probability, and "voice raised"
    style: MoodStyle
    call_staff: bool       # hand the visitor over now (once per visitor)
    sure: bool = False     # named by mood words (not the scorer alone): the answer's wording may follow it


def fuse(words: Mood, voice_raised: bool) -> Mood:
    """A raised voice turns a neutral or unsure turn into an urgent one; it never overrides a named mood."""
    if voice_raised and words in (Mood.NEUTRAL, Mood.CONFUSION):
        return Mood.URGENCY
    return words


class MoodTracker:
    def __init__(self, text: TextMood | None = None):
        self.text = text or TextMood()
        self._start: VoiceFeatures | None = None
        self._handover = Handover()

    @property
    def handover(self) -> Handover:
        return self._handover

    def end_visitor(self) -> None:
        self._start, self._handover = None, Handover()

    def on_turn(self, text: str, voice: VoiceFeatures | None, failed: bool, new_visitor: bool,
                staff_called: bool = False) -> TurnMood:
        """`failed`: the kiosk could not answer; `staff_called`: the safety layer already called staff."""
        if new_visitor:
            self.end_visitor()
        words, why = self.text.read(text)
        up = False
        if voice is not None:
            if self._start is None:
                self._start = voice
            else:
                up = raised(voice, self._start)
        mood = fuse(words, up)
        self._handover, call = self._handover.step(mood, failed)
        if staff_called:      # a safety answer has called staff already: no second call for this visitor
            self._handover, call = Handover(HandoverState.STAFF_CALLED), False
        return TurnMood(mood, why + ("; voice raised" if up else ""), style_for(mood), call,
                        sure=why.startswith("words"))
