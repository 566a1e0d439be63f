"""The visitor's mood: words, voice against their own start, the avatar's answer to it, the hand-over."""

from __future__ import annotations

import time

import numpy as np
import pytest

from runtime.asr.base import ScriptedRecognizer
from runtime.audio.chunk import AudioChunk
from runtime.audio.sinks import NullSink
from runtime.audio.sources import WavFileSource
from runtime.conversation.kiosk import Kiosk
from runtime.conversation.mood_link import STAFF_COMING, styled
from runtime.dialogue.answer_text import Cue
from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.responder import Responder
from runtime.dialogue.session import Reply
from runtime.display.avatar_view import AvatarView
from runtime.display.renderer.display import HeadlessDisplay
from runtime.listening.front_end import AudioFrontEnd
from runtime.listening.listener import Listener
from runtime.listening.vad import EnergyVad
from runtime.mood.handover import Handover, HandoverState
from runtime.mood.labels import Mood
from runtime.mood.style import style_for
from runtime.mood.tracker import MoodTracker, TurnMood, fuse
from runtime.mood.voice import (
    VoiceFeatures,
    frame_pitch_hz,
    raised,
    voice_features,
    word_count,
)
from runtime.mood.voice_meter import VoiceMeter
from runtime.mood.words import mood_words
from runtime.ops.event_recorder import EventKind
from runtime.speaking.speech_output import SpeechOutput
from runtime.tts.base import ToneSynthesizer
from runtime.turn_taking.endpointing import Endpointer
from tests.conftest import write_wav

RATE = 16000


@pytest.mark.parametrize("text, mood", [
    ("thank you so much, that's lovely", Mood.THANKS), ("太谢谢你了", Mood.THANKS),
    ("you stupid machine", Mood.ANGER), ("你这个破机器", Mood.ANGER),
    ("that's the third time you got it wrong", Mood.FRUSTRATION), ("说了半天还是不对", Mood.FRUSTRATION),
    ("please help me, i'm scared", Mood.DISTRESS), ("救命啊", Mood.DISTRESS),
    ("quick, the train leaves in five minutes", Mood.URGENCY), ("我赶时间", Mood.URGENCY),
    ("i'm not sure what you mean", Mood.CONFUSION), ("没听清", Mood.CONFUSION),
])
def test_mood_words_in_either_language(text, mood):
    assert mood_words(text)[0] is mood


@pytest.mark.parametrize("text", ["where is the toilet", "can you repeat the prices", "停车场在哪", "what time do you open"])
def test_ordinary_turns_carry_no_mood_words(text):
    assert mood_words(text) is None


def _voice(seconds: float, hz: float, amplitude: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return amplitude * (np.sin(2 * np.pi * hz * t) + 0.4 * np.sin(4 * np.pi * hz * t))


@pytest.mark.parametrize("hz", [110.0, 180.0, 260.0])
def test_the_pitch_of_a_voiced_frame(hz):
    assert frame_pitch_hz(_voice(0.04, hz, 0.3), RATE) == pytest.approx(hz, rel=0.05)


def test_noise_has_no_pitch():
    assert frame_pitch_hz(np.random.default_rng(0).normal(0, 0.1, 640), RATE) is None


def test_a_voice_raised_against_the_visitors_own_start():
    start = voice_features(_voice(1.5, 150, 0.05), RATE, words=6)
    assert start.pitch_hz == pytest.approx(150, rel=0.05) and start.rate == pytest.approx(4.0, rel=0.05)
    assert not raised(voice_features(_voice(1.5, 155, 0.06), RATE, words=6), start)
    assert raised(voice_features(_voice(1.5, 150, 0.15), RATE, words=6), start)      # ~10 dB louder
    assert raised(voice_features(_voice(1.5, 210, 0.05), RATE, words=6), start)      # higher
    assert raised(voice_features(_voice(1.5, 150, 0.05), RATE, words=9), start)      # faster


def test_the_voice_meter_measures_one_turn_then_forgets_the_audio():
    meter = VoiceMeter(keep_s=5.0)
    audio = AudioChunk.from_float(_voice(2.0, 150, 0.1).astype(np.float32), RATE)
    meter.add(AudioChunk(RATE, 2, 1, audio.audio, timestamp=10.0))
    features = meter.take(10.5, 11.5, words=4)
    assert features is not None and features.pitch_hz == pytest.approx(150, rel=0.05)
    assert meter.take(10.5, 11.5, words=4) is None      # nothing kept after a measurement


def test_words_are_counted_across_languages():
    assert word_count("where is the ATM") == 4 and word_count("洗手间在哪") == 5 and word_count("我的wechat") == 3


def test_a_raised_voice_makes_a_plain_turn_urgent_never_overrides_a_named_mood():
    assert fuse(Mood.NEUTRAL, True) is Mood.URGENCY and fuse(Mood.CONFUSION, True) is Mood.URGENCY
    assert fuse(Mood.THANKS, True) is Mood.THANKS and fuse(Mood.NEUTRAL, False) is Mood.NEUTRAL


def test_handover_after_three_failed_turns_or_two_upset_ones_once():
    h, calls = Handover(), []
    for failed in (True, True, True, True):
        h, call = h.step(Mood.NEUTRAL, failed)
        calls.append(call)
    assert calls == [False, False, True, False] and h.state is HandoverState.STAFF_CALLED
    h, _ = Handover().step(Mood.DISTRESS, False)
    assert h.state is HandoverState.STRUGGLING
    h2, call = h.step(Mood.FRUSTRATION, False)
    assert call and h2.state is HandoverState.STAFF_CALLED
    h3, call = h.step(Mood.NEUTRAL, False)           # a turn that goes well
    assert not call and h3.state is HandoverState.WITH_AVATAR


def test_the_tracker_takes_the_visitors_first_turn_as_their_baseline_and_forgets_them():
    tracker = MoodTracker()
    calm = VoiceFeatures(-30.0, 150.0, 3.0)
    loud = VoiceFeatures(-20.0, 150.0, 3.0)
    assert tracker.on_turn("where is gate b", calm, False, new_visitor=True).mood is Mood.NEUTRAL
    assert tracker.on_turn("where is gate b", loud, False, new_visitor=False).mood is Mood.URGENCY
    assert tracker.on_turn("where is gate b", loud, False, new_visitor=True).mood is Mood.NEUTRAL  # new baseline


def _reply(text="Gate B is on the left.", kind="answer", lang="en", **kw) -> Reply:
    return Reply(kind, text, lang, "gates", 0.9, "mall", "0" * 64, **kw)


def test_the_answer_follows_the_mood():
    thanks = TurnMood(Mood.THANKS, "words 'thanks'", style_for(Mood.THANKS), False, sure=True)
    out = styled(_reply(cues=(Cue("nod", 5),)), thanks)
    assert out.cues[0] == Cue("smile", 0) and out.mood == "thanks" and out.text == "Gate B is on the left."
    distress = TurnMood(Mood.DISTRESS, "words 'help me'", style_for(Mood.DISTRESS), False, sure=True)
    out = styled(_reply(cues=(Cue("nod", 5),)), distress)
    assert out.text == "I'm here to help. Gate B is on the left." and out.cues[0] == Cue("sad", 0)
    assert out.cues[1] == Cue("nod", 5 + len("I'm here to help. "))
    guessed = TurnMood(Mood.DISTRESS, "scorer 0.61", style_for(Mood.DISTRESS), False, sure=False)
    assert styled(_reply(), guessed).text == "Gate B is on the left."         # the scorer alone: no words added
    safety = styled(_reply("This is an emergency.", kind="safety", safety="emergency", alert=True),
                    TurnMood(Mood.NEUTRAL, "", style_for(Mood.NEUTRAL), False))
    assert safety.cues[0] == Cue("sad", 0) and safety.text == "This is an emergency."   # concerned, own words
    handed = styled(_reply("Sorry, I don't know.", kind="fallback"),
                    TurnMood(Mood.NEUTRAL, "", style_for(Mood.NEUTRAL), True))
    assert handed.text.endswith(STAFF_COMING["en"])


def _tones(tmp_path, count: int):
    tone = AudioChunk.from_float(0.3 * np.ones(16000, dtype=np.float32), 16000)
    gap = AudioChunk.silence(2.0, 16000)
    audio = AudioChunk(16000, 2, 1, gap.audio + b"".join(tone.audio + gap.audio for _ in range(count)))
    return write_wav(tmp_path / "turns.wav", audio)


def test_the_kiosk_hands_a_struggling_visitor_to_staff(mall_pack_dir, tmp_path):
    """Three turns the kiosk cannot answer: the third says a member of staff is coming and raises a
    `staff-alert` of kind handover (the fleet link publishes it); each turn's record keeps its mood label."""
    source = WavFileSource(_tones(tmp_path, 3), paced=False)
    said = ["zorblax quintuple frobnicate", "wibble wobble thing", "ugh wibble, come on"]
    speech = SpeechOutput({"en": ToneSynthesizer()}, NullSink(16000), source.now, time.perf_counter)
    kiosk = Kiosk(source, AudioFrontEnd(EnergyVad()), Listener(ScriptedRecognizer(said), Endpointer()),
                  Responder(load_content_pack(mall_pack_dir)), speech, AvatarView(HeadlessDisplay(135, 240)), "en",
                  realtime=False)
    alerts = []
    kiosk.events.subscribe(lambda kind, data: alerts.append(data), EventKind.STAFF_ALERT)
    run = kiosk.run()
    speech.close()
    assert [t["kind"] for t in run.turns] == ["fallback", "fallback", "fallback"], [t["answer"] for t in run.turns]
    assert [t["mood"] for t in run.turns] == ["neutral", "neutral", "frustration"]
    assert run.turns[2]["answer"].endswith(STAFF_COMING["en"]) and not run.turns[1]["answer"].endswith(STAFF_COMING["en"])
    assert len(alerts) == 1 and alerts[0]["kind"] == "handover" and alerts[0]["transcript"] == said[2]
