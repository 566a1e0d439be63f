"""Which of the avatar's words the room carried when a visitor spoke over it."""

from __future__ import annotations

import time

import numpy as np
import pytest

from runtime.audio.chunk import AudioChunk
from runtime.audio.frame import AudioFrame
from runtime.audio.sinks import NullSink
from runtime.speaking.speech_output import SpeechOutput
from runtime.speaking.spoken_words import SpokenLog, text_from, words_in
from runtime.tts.base import SpeechSegment, ToneSynthesizer
from runtime.turn_taking.barge_in import BargeInConfig, Decision
from runtime.turn_taking.barge_in_control import BargeInControl
from runtime.turn_taking.events import TurnEnd

PARKING = "Parking is on levels B1 and B2 and costs two euros an hour, the first half hour is free."


def _segment(text: str, seconds: float) -> SpeechSegment:
    return SpeechSegment(text, AudioChunk.from_float(np.zeros(int(seconds * 16000), np.float32), 16000), None)


def test_the_words_said_in_a_stretch_of_time_are_found_by_where_they_sit_in_the_clause():
    # 88 characters over 4.4 s: 50 ms a character; "costs two euros" is said from 1.75 to 2.5 s
    assert words_in(PARKING, 4.4, 1.9, 2.4) == ["and", "costs", "two", "euros", "an"]   # one word of slack
    assert words_in(PARKING, 4.4, 0.0, 0.1) == ["Parking", "is"]
    assert words_in(PARKING, 4.4, 5.0, 6.0) == [] and words_in(PARKING, 4.4, -2.0, -1.0) == []
    assert text_from(PARKING, 0.5) == "two euros an hour, the first half hour is free."   # half way: in "two"
    assert text_from("one two", 0.0) == "one two" and text_from("one two", 1.0) == "two"


def test_the_log_forgets_what_was_never_heard_and_follows_a_clause_taken_up_again():
    log = SpokenLog()
    log.add(10.0, _segment(PARKING, 4.4))
    log.cut(11.0)                                               # paused 1 s in: "...levels B1"
    assert "hour" not in log.words_between(10.0, 20.0).split()
    assert log.words_between(10.0, 20.0).startswith("Parking is on levels")
    log.add(12.0, _segment(text_from(PARKING, 0.2), 3.5))     # taken up again from "levels"
    assert log.words_between(12.0, 12.3).split()[:2] == ["levels", "B1"]
    assert "free." in log.words_between(15.2, 16.0).split()


def _voice(control, at: float, frames: int, level: float = 0.1, prob: float = 0.9, heard=lambda: ""):
    """`frames` 32-ms frames of a sound over the avatar from `at`; the decisions made."""
    decisions = []
    for i in range(frames):
        t = at + i * 0.032
        chunk = AudioChunk.from_float(np.full(512, level, np.float32), 16000, t)
        decisions.append(control.frame(AudioFrame.from_clean(chunk, prob), t + 0.032, heard))
    return [d for d in decisions if d is not None]


@pytest.fixture
def parking_answer():
    """The avatar saying an answer about parking from 0 s (the tone double: 60 ms a character)."""
    now = [0.0]
    speech = SpeechOutput({"en": ToneSynthesizer()}, NullSink(16000), lambda: now[0], time.perf_counter)
    u = speech.say(PARKING, "en")
    assert u.done.wait(5)
    yield speech, u
    speech.close()


def _control(speech):
    return BargeInControl(BargeInConfig(initial_coupling_db=-30.0), speech, preroll_s=0.3,
                          asks=lambda words: "parking" in words or "euros" in words)


def test_a_visitor_asking_about_what_the_answer_mentioned_earlier_interrupts_it(parking_answer):
    """"Wait, how much is parking?" over an answer about parking: "parking" was said seconds
    before, so it is the visitor's word now (it used to be filtered out as the avatar's own, and
    the interruption was taken for a backchannel). What the avatar was saying that moment still is
    its own: the room carries it."""
    speech, u = parking_answer
    control = _control(speech)
    assert _voice(control, 3.0, 6) == [Decision.PAUSE]     # "costs two euros" is being said
    assert control.judge_turn(TurnEnd("costs two euros", 3.0, 3.5, 3.8, 3.8, 0.3), now=3.8) is None   # its echo
    speech.resume(3.9)                                     # the double has no word times: from the top again
    control = _control(speech)
    assert _voice(control, 7.0, 6) == [Decision.PAUSE]     # "parking" was said at 3.9 s
    decided = control.judge_turn(TurnEnd("what is parking", 7.0, 7.6, 7.9, 7.9, 0.3), now=7.9)
    assert decided is Decision.CONFIRM and u.dropped and u.cut_at == pytest.approx(7.0, abs=0.07)


@pytest.mark.parametrize("heard, decision", [("what is parking", Decision.CONFIRM),
                                             ("costs two euros", Decision.RESUME)])
def test_the_words_asked_for_when_the_sound_stops_are_judged_by_what_the_avatar_was_saying(
        parking_answer, heard, decision):
    speech, u = parking_answer
    control = _control(speech)
    assert _voice(control, 3.0, 12) == [Decision.PAUSE]   # 0.38 s: too short to confirm by its length
    assert _voice(control, 3.384, 12, level=0.001, prob=0.0, heard=lambda: heard) == [decision]
    assert u.dropped is (decision is Decision.CONFIRM)
