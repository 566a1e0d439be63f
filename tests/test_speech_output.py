"""The speaking stage: clauses reach the sink in order, the mouth's track follows the sink's clock."""

from __future__ import annotations

import shutil
import time

import pytest

from runtime.audio.sinks import NullSink
from runtime.speaking.speech_output import SpeechOutput
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


def test_the_avatar_is_speaking_until_its_answer_is_played_out_but_not_while_an_answer_is_held():
    """What a harness or the staff screen asks before the next visitor speaks: a held speculative
    answer is silence; a released one is speaking until its last sample has been heard."""
    now = [5.0]
    speech = SpeechOutput({"en": ToneSynthesizer()}, NullSink(16000), lambda: now[0], time.perf_counter)
    held = speech.say("hello there", "en", held=True)
    assert held.first_ready.wait(5)
    assert not speech.speaking(now[0])
    speech.release(held)
    assert speech.speaking(now[0])
    assert held.done.wait(5)
    assert speech.speaking(now[0]) and speech.busy_until() > now[0]      # handed over, not yet heard
    now[0] = speech.busy_until() + 0.01
    assert not speech.speaking(now[0])
    speech.close()


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng comes from apt (scripts/setup.sh)")
def test_mandarin_falls_back_to_espeak_with_a_loudness_driven_mouth():
    from runtime.composition.backends import make_synthesizer
    from runtime.models.manifest import ModelCatalog
    without_kokoro = ModelCatalog([e for e in ModelCatalog.load().entries if e.engine != "kokoro"])
    synth = make_synthesizer(without_kokoro, "zh")
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


def test_a_paused_answer_goes_on_from_the_start_of_the_word_it_was_in(piper_en):
    """Piper's word times: the avatar pauses mid-word for an "uh-huh" and picks up at that word."""
    from runtime.speaking.speech_pause import word_start
    now = [0.0]
    speech = SpeechOutput({"en": piper_en}, NullSink(piper_en.rate), lambda: now[0], time.perf_counter)
    u = speech.say("The cinema is on the third floor, next to the food court.", "en")
    assert u.done.wait(30)
    total = speech.busy_until()
    spaces = [p.start for p in next(iter(piper_en.synthesize("The cinema is on the third floor,"))).phonemes
              if p.phoneme == " "]
    now[0] = 0.70                                     # inside "is" (between the 2nd and 3rd word gaps)
    stopped = speech.pause(now[0])
    assert stopped == pytest.approx(0.70) and speech.paused and u.paused
    assert speech.busy_until() == pytest.approx(0.70) and speech.viseme_at(0.75) == "sil"   # silent, mouth shut
    assert speech.far_level(0.8) == 0.0
    now[0] = 1.5
    speech.resume(now[0])
    assert not speech.paused and not u.paused
    picked_up = max(s for s in spaces if s <= 0.70)   # the gap before "is"
    assert word_start(next(iter(piper_en.synthesize("The cinema is on the third floor,"))), 0.70) == picked_up
    assert speech.busy_until() == pytest.approx(1.5 + (total - picked_up), abs=0.01)   # the rest, in full
    assert speech.viseme_at(1.52) != "sil" or speech.viseme_at(1.6) != "sil"
    assert u.heard_until == pytest.approx(speech.busy_until()) and u.paused_s == pytest.approx(0.8, abs=0.01)
    speech.close()


def test_a_paused_answer_that_is_interrupted_is_cut_where_it_paused():
    now = [0.0]
    speech = SpeechOutput({"en": ToneSynthesizer()}, NullSink(16000), lambda: now[0], time.perf_counter)
    u = speech.say("a long answer that will be cut", "en")
    assert u.done.wait(5)
    now[0] = 0.5
    speech.pause(now[0])
    now[0] = 0.9
    assert speech.interrupt(now[0]) == pytest.approx(0.5)
    assert u.cut_at == pytest.approx(0.5) and u.dropped and not speech.paused
    speech.resume(1.0)                                  # nothing left to say
    assert speech.busy_until() == pytest.approx(0.5)
    speech.close()


def test_piper_speaks_a_long_sentence_clause_by_clause_and_a_short_one_whole(piper_en):
    """Piper's working memory grows with the audio of what it is given (~17 MB per second): a long
    sentence goes clause by clause, so a pack's longest sentence does not set the kiosk's peak."""
    from runtime.tts.clauses import shorter_clauses
    from runtime.tts.piper_tts import MAX_CLAUSE_UNITS
    long = "The cinema is on the fifth floor, next to the food court; take the east escalator and turn left."
    segments = list(piper_en.synthesize_piece(long))
    assert [s.text for s in segments] == shorter_clauses(long, MAX_CLAUSE_UNITS)
    assert len(segments) == 3 and " ".join(s.text for s in segments) == long
    assert all(s.audio.seconds > 0.5 and s.phonemes for s in segments)
    [whole] = list(piper_en.synthesize_piece("Where is the cinema, please?"))
    assert whole.text == "Where is the cinema, please?"
