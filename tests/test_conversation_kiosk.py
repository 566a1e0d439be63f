"""Conversations through the kiosk loop: spoken follow-ups, repeats and language switches."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from runtime.asr.base import ScriptedRecognizer
from runtime.audio.chunk import AudioChunk
from runtime.audio.sinks import NullSink
from runtime.audio.sources import WavFileSource
from runtime.conversation.kiosk import Kiosk, LanguageBackends
from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.responder import Responder
from runtime.display.avatar_view import AvatarView
from runtime.display.renderer.display import HeadlessDisplay
from runtime.listening.front_end import AudioFrontEnd
from runtime.listening.listener import Listener
from runtime.listening.vad import EnergyVad
from runtime.speaking.speech_output import SpeechOutput
from runtime.tts.base import ToneSynthesizer
from runtime.tts.espeak_tts import EspeakSynthesizer
from runtime.turn_taking.endpointing import Endpointer
from tests.conftest import write_wav
from tests.test_end_to_end import run_cli

pytestmark = pytest.mark.slow


def test_spoken_conversation_repeat_and_a_switch_to_mandarin(speak, mall_pack_dir, tmp_path):
    """Piper speech recognised by pocketsphinx; "Chinese please" switches the kiosk to Mandarin, which it
    hears with the multilingual Whisper base (the "cannot listen" answer is covered in test_dialogue_session)."""
    audio, _ = speak(["Where can I park?", "Say that again.", "Chinese please."], gap_s=9.0)
    question = write_wav(tmp_path / "talk.wav", audio)
    done = run_cli("--content", str(mall_pack_dir), "--lang", "en", "--input", str(question), "--output", "null",
                   "--display", "headless", "--report", str(tmp_path / "report.json"))
    assert done.returncode == 0, done.stderr
    turns = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["turns"]
    assert [t["kind"] for t in turns] == ["answer", "repeat", "language"], [t["transcript"] for t in turns]
    assert turns[0]["intent"] == "parking" and turns[1]["answer"] == turns[0]["answer"]
    assert turns[2]["answer"] == "好的，我说中文。" and turns[2]["lang"] == "zh"
    assert turns[0]["answer_id"].startswith("mall-demo/parking@")


def _tones(tmp_path, count: int):
    tone = AudioChunk.from_float(0.3 * np.ones(16000, dtype=np.float32), 16000)
    gap = AudioChunk.silence(2.0, 16000)
    audio = AudioChunk(16000, 2, 1, gap.audio + b"".join(tone.audio + gap.audio for _ in range(count)))
    return write_wav(tmp_path / "turns.wav", audio)


def test_kiosk_switches_recogniser_and_voice_when_the_visitor_asks(mall_pack_dir, tmp_path):
    """'说中文' heard: the answer and the next turns are Mandarin (real espeak-ng voice), heard by the zh recogniser."""
    source = WavFileSource(_tones(tmp_path, 4), paced=False)
    english = ScriptedRecognizer(["where can I park", "说中文"], "en")
    chinese = ScriptedRecognizer(["洗手间在哪里", "English please"], "zh")
    made: list[str] = []

    def recognizer(lang, pack):
        made.append(lang)
        return chinese if lang == "zh" else english

    speech = SpeechOutput({"en": ToneSynthesizer()}, NullSink(16000), source.now, time.perf_counter)
    kiosk = Kiosk(source, AudioFrontEnd(EnergyVad()), Listener(english, Endpointer()), Responder(load_content_pack(mall_pack_dir)),
                  speech, AvatarView(HeadlessDisplay(135, 240)), "en", realtime=False,
                  languages=LanguageBackends(("en", "zh"), recognizer, lambda lang: EspeakSynthesizer(lang)))
    run = kiosk.run()
    speech.close()
    kinds = [(t["kind"], t["lang"], t["intent"]) for t in run.turns]
    assert kinds == [("answer", "en", "parking"), ("language", "zh", None), ("answer", "zh", "restroom"),
                     ("language", "en", None)]
    assert run.turns[1]["answer"] == "好的，我说中文。" and run.turns[1]["audio_seconds"] > 0.5
    assert run.turns[2]["answer"].startswith("每层的洗手间")
    assert made == ["zh", "en"] and kiosk.lang == "en"


def test_answer_cues_play_when_their_words_are_heard(tmp_path):
    """The museum greeting starts with [wave], the goodbye with [bow]: the avatar plays each as it is heard."""
    from runtime.composition.config import DEFAULT_CONTENT
    source = WavFileSource(_tones(tmp_path, 2), paced=False)
    speech = SpeechOutput({"en": ToneSynthesizer()}, NullSink(16000), source.now, time.perf_counter)
    view = AvatarView(HeadlessDisplay(135, 240))
    played: list[tuple[str, float]] = []
    original = view.cue
    view.cue = lambda name: (played.append((name, view.animator.t)), original(name))
    kiosk = Kiosk(source, AudioFrontEnd(EnergyVad()), Listener(ScriptedRecognizer(["hello", "goodbye"]), Endpointer()),
                  Responder(load_content_pack(DEFAULT_CONTENT)), speech, view, "en", realtime=False)
    run = kiosk.run()
    speech.close()
    assert [t["intent"] for t in run.turns] == ["greeting", "thanks_goodbye"]
    assert [name for name, _ in played] == ["wave", "bow"]
    for (name, at), turn in zip(played, run.turns):
        heard = turn["timings"]["heard_from_ms"] / 1000
        assert heard - 0.05 <= at <= heard + 0.5 + turn["audio_seconds"]
    assert run.turns[0]["cues"] == [{"cue": "wave", "at_char": 0}]
    assert "[" not in run.turns[0]["answer"]
