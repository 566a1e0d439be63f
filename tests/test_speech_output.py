"""The speaking stage: clauses reach the sink in order, the mouth's track follows the sink's clock."""

from __future__ import annotations

import shutil
import time

import pytest

from runtime.audio.sinks import NullSink
from runtime.speech_output import SpeechOutput
from runtime.tts.base import ToneSynthesizer
from runtime.tts.clauses import split_for_speech


def test_long_first_sentences_are_split_at_their_first_clause():
    text = ("The mall opens at 10 am and closes at 10 pm every day, and stays open until 10:30 pm "
            "on Fridays and Saturdays. Enjoy!")
    assert split_for_speech(text) == ["The mall opens at 10 am and closes at 10 pm every day,",
                                      "and stays open until 10:30 pm on Fridays and Saturdays.", "Enjoy!"]
    assert split_for_speech("商场每天上午十点开门，晚上十点关门，周五延长。") == ["商场每天上午十点开门，", "晚上十点关门，周五延长。"]
    assert split_for_speech("It costs 10.5 yuan. Thanks.") == ["It costs 10.5 yuan.", "Thanks."]


def test_a_held_answer_plays_only_when_released_and_a_dropped_one_never():
    now = [5.0]
    speech = SpeechOutput({"en": ToneSynthesizer()}, NullSink(16000), lambda: now[0], time.perf_counter)
    held = speech.say("hello there", "en", held=True)
    assert held.first_ready.wait(5)
    assert held.first_audio_at is None and speech.busy_until() == 0.0
    now[0] = 6.0
    speech.release(held)
    assert held.done.wait(5)
    assert held.heard_from == pytest.approx(6.0)
    assert speech.viseme_at(6.01) == "PP" and speech.viseme_at(6.2) == "aa"
    dropped = speech.say("never mind", "en", held=True)
    dropped.first_ready.wait(5)
    speech.drop(dropped)
    assert dropped.done.wait(5) and dropped.first_audio_at is None
    speech.close()


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng comes from apt (scripts/setup.sh)")
def test_mandarin_falls_back_to_espeak_with_a_loudness_driven_mouth():
    from runtime.backends import make_synthesizer
    from runtime.models import ModelCatalog
    synth = make_synthesizer(ModelCatalog.load(), "zh")
    assert synth.name == "espeak-ng"
    speech = SpeechOutput({"zh": synth}, NullSink(synth.rate), lambda: 1.0, time.perf_counter)
    utterance = speech.say("您好！我是数字导览员。", "zh")
    assert utterance.done.wait(30) and utterance.error is None
    assert utterance.audio_seconds > 1.0
    keys = speech.viseme_keys(utterance.heard_from, utterance.heard_until + 0.001)
    assert {v for _, v in keys} >= {"aa", "sil"}
    assert keys[-1][1] == "sil"
    speech.close()


class _RecordingSink(NullSink):
    def __init__(self, rate: int = 16000):
        super().__init__(rate)
        self.played = []

    def play(self, chunk, now):
        self.played.append(chunk)
        return super().play(chunk, now)


def test_the_fleets_volume_turns_the_answer_down_and_it_is_still_spoken():
    sink = _RecordingSink()
    speech = SpeechOutput({"en": ToneSynthesizer()}, sink, lambda: 0.0, time.perf_counter)
    loud = speech.say("one", "en")
    assert loud.done.wait(5) and loud.error is None
    speech.volume = 0.5
    quiet = speech.say("one", "en")
    assert quiet.done.wait(5) and quiet.error is None, quiet.error
    assert sink.played[1].rms() == pytest.approx(0.5 * sink.played[0].rms(), rel=0.02)
    speech.close()
