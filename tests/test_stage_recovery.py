"""A stage that fails inside a running kiosk is rebuilt on its own (issue 11): the recogniser
throws in the middle of a visitor's question; the kiosk says it cannot hear right now, rebuilds
the recogniser and answers the next questions, with no restart of the process."""

from __future__ import annotations

import pytest

from runtime.asr.base import ScriptedRecognizer
from runtime.asr.supervised import SupervisedRecognizer
from runtime.composition import app as kiosk_app
from runtime.composition import stages as kiosk_stages
from runtime.composition.config import KioskConfig
from runtime.ops.stage_health import StageHealth
from tests.conftest import write_wav


class _DyingRecognizer:
    """The real recogniser, until its engine 'crashes' on the 10th chunk of audio."""

    def __init__(self, inner):
        self._inner, self.name, self.language, self._chunks = inner, inner.name, inner.language, 0

    def start(self):
        self._inner.start()

    def accept(self, chunk):
        self._chunks += 1
        if self._chunks == 10:
            raise RuntimeError("decoder state corrupted (injected)")
        self._inner.accept(chunk)

    def partial(self):
        return self._inner.partial()

    def partial_words(self):
        return self._inner.partial_words()

    def finish(self):
        return self._inner.finish()

    def ready_ago(self):
        return self._inner.ready_ago()


def test_backoff_grows_with_each_failure_and_resets_after_a_restart():
    health = StageHealth("asr")
    health.failed(10.0, "boom")
    assert not health.up and not health.due(10.5) and health.due(11.0)
    health.failed(11.0, "rebuild: boom")
    assert not health.due(12.9) and health.due(13.0)          # 2 s after the second failure in a row
    health.restarted(13.0)
    health.failed(20.0, "again")
    assert health.due(21.0) and health.record() == {"up": False, "failures": 3, "restarts": 1,
                                                    "last_error": "again"}


def test_a_recogniser_that_throws_is_down_until_rebuilt_between_turns():
    made = []

    def make():
        made.append(ScriptedRecognizer(["second"]))
        return made[-1]

    class Broken(ScriptedRecognizer):
        def accept(self, chunk):
            raise OSError("model file vanished")
    now = [0.0]
    asr = SupervisedRecognizer(make, first=Broken(["first"]), clock=lambda: now[0], background=False)
    asr.start()
    asr.accept(None)
    assert not asr.hearing and asr.finish() == "" and asr.health.last_error == "OSError: model file vanished"
    asr.decode_in_pause = False                               # the kiosk's choice for this visitor, while it is down
    asr.tick()
    assert not made, "no rebuild before the back-off"
    now[0] = 1.0
    asr.tick()
    assert asr.hearing and len(made) == 1 and asr.health.restarts == 1
    assert made[0].decode_in_pause is False                   # handed to the rebuilt engine
    asr.start()
    assert asr.finish() == "second"


def test_a_recogniser_whose_first_background_load_fails_is_deaf_then_loaded_after_the_back_off():
    attempts, loaded = [], []

    def make():
        attempts.append(1)
        if len(attempts) == 1:
            raise FileNotFoundError("model folder missing")
        return ScriptedRecognizer(["hello"])
    now = [0.0]
    asr = SupervisedRecognizer(make, clock=lambda: now[0], background=False, name="ps", language="en",
                               preload=True, on_loaded=lambda: loaded.append(1))
    assert asr.wait_loaded(5)
    assert not asr.hearing and asr.health.name == "asr-en" and not loaded, "a failed load is not 'loaded'"
    assert asr.health.last_error == "load: FileNotFoundError: model folder missing"
    asr.tick()
    assert len(attempts) == 1, "no rebuild before the back-off"
    now[0] = 1.0
    asr.tick()
    assert asr.hearing and asr.health.up and asr.health.restarts == 1
    asr.start()
    assert asr.finish() == "hello"


@pytest.mark.slow
def test_the_kiosk_says_it_cannot_hear_rebuilds_the_recogniser_and_answers_again(speak, tmp_path, monkeypatch):
    audio, _ = speak(["What time does the museum open?", "Where are the toilets?", "Is there a restaurant?"],
                     gap_s=4.0)
    wav = write_wav(tmp_path / "visitor.wav", audio)
    real = kiosk_stages.make_recognizer
    built = []

    def make_recognizer(*args, **kwargs):
        recognizer = real(*args, **kwargs)
        built.append(recognizer)
        return _DyingRecognizer(recognizer) if len(built) == 1 else recognizer
    monkeypatch.setattr(kiosk_stages, "make_recognizer", make_recognizer)
    report = kiosk_app.run_kiosk(KioskConfig(input=str(wav), output="null", display="headless", pace="fast",
                                             lang="en"))
    [unheard] = report["unheard_turns"]
    assert unheard["text"] == "Sorry, I cannot hear you right now. Please try again in a moment."
    assert [t["intent"] for t in report["turns"]] == ["restroom", "food"]
    assert report["stages"]["asr"] == {"up": True, "failures": 1, "restarts": 1,
                                       "last_error": "RuntimeError: decoder state corrupted (injected)"}
    assert len(built) == 2, "rebuilt once, in the same process"


class _VoiceThatDies:
    """A working voice whose engine throws from its second answer on (until rebuilt)."""

    def __init__(self, inner):
        self._inner, self.name, self.language, self.rate, self.calls = inner, inner.name, inner.language, inner.rate, 0

    def synthesize(self, text):
        self.calls += 1
        if self.calls >= 2:
            raise RuntimeError("onnxruntime: session is in an invalid state (injected)")
        yield from self._inner.synthesize(text)


@pytest.mark.slow
def test_a_voice_that_throws_is_replaced_by_espeak_for_the_answer_and_rebuilt(piper_en):
    import time as _time

    from runtime.audio.sinks import NullSink
    from runtime.speaking.speech_output import SpeechOutput
    from runtime.tts.espeak_tts import EspeakSynthesizer
    from runtime.tts.supervised import SupervisedSynthesizer
    now = [0.0]
    made = []

    def make():
        made.append(piper_en)
        return piper_en
    voice = SupervisedSynthesizer(make, _VoiceThatDies(piper_en), lambda: EspeakSynthesizer("en"),
                                  clock=lambda: now[0], background=False)
    speech = SpeechOutput({"en": voice}, NullSink(voice.rate), lambda: now[0], _time.perf_counter)
    first = speech.say("The museum opens at nine.", "en")
    assert first.done.wait(30) and first.error is None
    second = speech.say("The toilets are on every floor. Thank you for asking.", "en")
    assert second.done.wait(30)
    assert second.error is None and second.audio_seconds > 2.0, "the fallback voice spoke the whole answer"
    assert voice.health.record()["up"] is False and not made
    now[0] = 5.0
    third = speech.say("Goodbye.", "en")
    assert third.done.wait(30) and third.error is None
    assert made and voice.health.restarts == 1 and voice.health.up
    speech.close()


@pytest.mark.slow
def test_live_the_models_load_behind_the_idling_avatar_and_an_early_question_is_still_heard(speak, tmp_path):
    """Real-time input: the avatar is drawn before the recogniser and the voice have loaded; a
    visitor who speaks straight away waits for the load instead of being missed."""
    audio, _ = speak(["Where are the toilets?"], gap_s=1.5, lead_s=0.2)
    wav = write_wav(tmp_path / "early.wav", audio)
    report = kiosk_app.run_kiosk(KioskConfig(input=str(wav), output="null", display="headless", pace="realtime",
                                             input_start="now", lang="en"))
    startup = report["startup"]
    assert startup["avatar_on_screen_s"] is not None and startup["listening_s"] is not None
    assert startup["avatar_on_screen_s"] <= startup["listening_s"]
    assert [t["intent"] for t in report["turns"]] == ["restroom"] and report["unheard_turns"] == []


def test_a_kiosk_whose_clock_is_not_yet_set_still_starts_and_answers(tmp_path, monkeypatch):
    """Boards without a battery-backed clock boot in 1970 until NTP answers (offline: maybe never)."""
    import datetime as dt

    from runtime.composition.config import DEMO_QUESTION
    epoch = dt.datetime(1970, 1, 1, 0, 0, 42, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(kiosk_app, "venue_now", lambda timezone: (lambda: epoch))
    report = kiosk_app.run_kiosk(KioskConfig(input=str(DEMO_QUESTION), output="null", display="headless",
                                             pace="fast", log_dir=tmp_path / "log"))
    assert [t["intent"] for t in report["turns"]] == ["opening_hours"]
    assert (tmp_path / "log" / "interactions-1970-01-01.log").read_text(encoding="utf-8").count("\n") == 1
