"""The mood's part in the conversation: the visitor's voice is measured as their turn ends, the mood
read, and the answer given the mood's expression, words and pace; repeated failure or distress hands
over to staff (a `staff-alert` event of kind `handover`, and the avatar says a member of staff is
coming). Whenever a turn calls staff (a hand-over, or a safety answer that alerts), the screen shows
it too (`staff_notice`), for `NOTICE_S`.

Only the mood label is kept (in the turn's record); the audio is held in memory for one turn only.
"""

from __future__ import annotations

import dataclasses

from runtime.audio.chunk import AudioChunk
from runtime.dialogue.answer_text import Cue
from runtime.dialogue.session import Kind, Reply
from runtime.mood.style import CONCERNED
from runtime.mood.tracker import MoodTracker, TurnMood
from runtime.mood.voice import word_count
from runtime.mood.voice_meter import VoiceMeter
from runtime.turn_taking.events import TurnEnd

FAILED = (Kind.FALLBACK, Kind.CLARIFY, Kind.REPEAT)
STAFF_COMING = {"en": "A member of staff is coming to help you.", "zh": "工作人员马上过来帮您。"}
NOTICE_S = 120.0     # how long the "staff is coming" notice stays on screen (staff take a minute or two)


class MoodLink:
    def __init__(self, tracker: MoodTracker | None = None):
        self.tracker = tracker or MoodTracker()
        self.meter = VoiceMeter()
        self.name = self.tracker.text.name + " + voice"

    def hear(self, chunk: AudioChunk) -> None:
        self.meter.add(chunk)

    def on_answer(self, turn: TurnEnd, answer: Reply) -> tuple[Reply, TurnMood]:
        voice = self.meter.take(turn.speech_start, turn.speech_end, word_count(turn.transcript))
        mood = self.tracker.on_turn(turn.transcript, voice, answer.kind in FAILED, answer.new_session,
                                    staff_called=answer.alert)
        return styled(answer, mood), mood

    @staticmethod
    def alert(turn: TurnEnd, answer: Reply, mood: TurnMood, venue_time: str) -> dict:
        """The `staff-alert` event of a hand-over (the fleet link publishes it, retained until acknowledged)."""
        return {"kind": "handover", "lang": answer.lang, "cue": f"{mood.mood.value}: {mood.why}",
                "transcript": turn.transcript, "speech_start_ms": round(turn.speech_start * 1000),
                "venue_time": venue_time}


def styled(answer: Reply, mood: TurnMood) -> Reply:
    """The answer with the mood's expression first, its few words before it (only when mood words named
    the mood, and not before a safety answer, which has its own, nor a repeat or a language switch),
    and the hand-over sentence after it."""
    expression = CONCERNED if answer.safety else mood.style.expression
    cues = answer.cues if expression == "neutral" else (Cue(expression, 0),) + answer.cues
    text = answer.text
    plain = answer.safety or answer.kind in (Kind.REPEAT, Kind.LANGUAGE) or not mood.sure   # said as they are
    preface = "" if plain else mood.style.preface.get(answer.lang, "")
    if preface:
        gap = "" if answer.lang == "zh" else " "
        text = preface + gap + text
        cues = tuple(c if c.at_char == 0 and c.name == expression else dataclasses.replace(
            c, at_char=c.at_char + len(preface) + len(gap)) for c in cues)
    if mood.call_staff:
        text = text + ("" if answer.lang == "zh" else " ") + STAFF_COMING.get(answer.lang, STAFF_COMING["en"])
    return dataclasses.replace(answer, text=text, cues=cues, mood=mood.mood.value)


def staff_notice(answer: Reply, mood: TurnMood) -> str | None:
    """The notice the screen shows when this turn called staff (a hand-over, or a safety answer that
    alerts), in the answer's language; None when it called no one."""
    if mood.call_staff or answer.alert:
        return STAFF_COMING.get(answer.lang, STAFF_COMING["en"])
    return None
