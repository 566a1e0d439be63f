"""A voice for a turn language other than the home one loads when first needed, not at start (issue
30's memory): its answers already in the cache play without it, and what is not there loads it once.
Test doubles for the stage; the real voices for their cache keys; the real kiosk for the whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from runtime.shared.errors import TtsError
from runtime.tts.answer_cache.builder import BuildState
from runtime.tts.answer_cache.prepared import PreparedSpeech
from runtime.tts.base import ToneSynthesizer
from runtime.tts.espeak_tts import EspeakSynthesizer
from runtime.tts.supervised import SupervisedSynthesizer

REPO = Path(__file__).resolve().parents[1]
LINES = ("The cinema is on the fourth floor.", "The toilets are next to the lifts.")


class CountedVoice:
    """Makes ToneSynthesizers and counts how often it was asked to."""

    def __init__(self, loaded_id: str | None = None):
        self.made = 0
        self.loaded_id = loaded_id
        self.lock = threading.Lock()

    def __call__(self) -> ToneSynthesizer:
        with self.lock:
            self.made += 1
        voice = ToneSynthesizer("zh")
        if self.loaded_id is not None:
            voice.voice_id = self.loaded_id
        return voice


def on_demand_voice(make: CountedVoice, described: str = "tone:16000") -> SupervisedSynthesizer:
    return SupervisedSynthesizer(make, None, fallback=lambda: ToneSynthesizer("zh"), background=False,
                                 preload=("tone", "zh", 16000), on_demand=True, voice_id=described)


def cache_with(lines: tuple[str, ...], folder: Path) -> None:
    """A cache on disk holding `lines` in the tone voice (a run before this one, the voice loaded)."""
    prepared = PreparedSpeech(folder, 8, {})
    prepared.prepare(prepared.wrap(ToneSynthesizer("zh")), "pack-sha", lines)
    assert prepared.builder.wait_idle(30) and prepared.builder.state is BuildState.IDLE
    prepared.close()


def test_an_on_demand_voice_is_not_loaded_until_asked_and_names_its_cache_key_meanwhile():
    make = CountedVoice()
    voice = on_demand_voice(make)
    assert make.made == 0 and voice.wait_loaded(0) and voice.voice_id == "tone:16000"
    assert (voice.name, voice.language, voice.rate) == ("tone", "zh", 16000)
    assert [s.text for s in voice.synthesize_piece("你好")] == ["你好"] and make.made == 1
    list(voice.synthesize("再见"))
    assert make.made == 1 and voice.health.record()["failures"] == 0


def test_a_visitor_in_its_language_starts_its_load_in_the_background():
    make = CountedVoice()
    voice = on_demand_voice(make)
    voice.load_soon()
    voice.load_soon()
    assert voice._loaded.wait(30) and make.made == 1
    list(voice.synthesize("你好"))
    assert make.made == 1


def test_answers_in_the_cache_are_found_and_played_without_loading_the_voice(tmp_path):
    cache_with(LINES, tmp_path / "cache")
    make = CountedVoice()
    prepared = PreparedSpeech(tmp_path / "cache", 8, {})
    cached = prepared.wrap(on_demand_voice(make))
    prepared.prepare(cached, "pack-sha", LINES)
    assert prepared.builder.wait_idle(30) and prepared.builder.state is BuildState.IDLE
    assert prepared.builder.stats()["built"] == 0 and make.made == 0
    assert [s.text for s in cached.synthesize(LINES[0])] == [LINES[0]]
    assert cached.counts["hits"] == 1 and cached.counts["misses"] == 0 and make.made == 0
    prepared.close()


def test_a_warm_start_keeps_every_languages_answers_whichever_voice_is_prepared_first(tmp_path):
    """Each language's build used to evict the namespaces of every language not built yet in this
    start: the home language went first, so the other's answers were synthesised again at every start
    (loading its voice). A new pack still replaces its own language's answers, and only those."""
    folder = tmp_path / "cache"
    first = PreparedSpeech(folder, 8, {})
    for lang in ("en", "zh"):
        first.prepare(first.wrap(ToneSynthesizer(lang)), "pack-sha", LINES)
        assert first.builder.wait_idle(30)
    entries = first.store.stats()["entries"]
    first.close()
    again = PreparedSpeech(folder, 8, {})
    english = again.wrap(ToneSynthesizer("en"))
    again.prepare(english, "pack-sha", LINES)
    assert again.builder.wait_idle(30)                      # English alone, done before Mandarin is asked
    make = CountedVoice()
    again.prepare(again.wrap(on_demand_voice(make)), "pack-sha", LINES)
    assert again.builder.wait_idle(30) and again.builder.state is BuildState.IDLE
    assert again.builder.stats()["built"] == 0 and make.made == 0 and again.store.stats()["evicted"] == 0
    again.prepare(english, "new-pack-sha", LINES[:1])
    assert again.builder.wait_idle(30)
    assert again.store.stats()["evicted"] == len(LINES) and again.store.stats()["entries"] == entries - 1
    again.close()


def test_a_line_the_cache_lacks_loads_the_voice_once_even_when_asked_twice_at_once(tmp_path):
    cache_with(LINES[:1], tmp_path / "cache")
    make = CountedVoice()
    prepared = PreparedSpeech(tmp_path / "cache", 8, {})
    cached = prepared.wrap(on_demand_voice(make))
    prepared.prepare(cached, "pack-sha", LINES)           # the builder asks for the missing line ...
    answers = [threading.Thread(target=lambda: list(cached.synthesize(LINES[1]))) for _ in range(2)]
    for answer in answers:                                  # ... while two answers ask for it too
        answer.start()
    for answer in answers:
        answer.join(30)
    assert prepared.builder.wait_idle(30) and prepared.builder.state is BuildState.IDLE
    assert make.made == 1 and prepared.builder.stats()["built"] + prepared.builder.stats()["found"] >= 2
    prepared.close()


def test_a_voice_that_loads_as_another_than_its_key_caches_nothing_under_that_key(tmp_path):
    make = CountedVoice(loaded_id="tone:16000:other")
    voice = on_demand_voice(make)
    with pytest.raises(TtsError, match="not tone:16000"):
        voice.primary_piece("你好")
    prepared = PreparedSpeech(tmp_path / "cache", 8, {})
    prepared.prepare(prepared.wrap(on_demand_voice(CountedVoice(loaded_id="tone:16000:other"))), "sha", LINES)
    assert prepared.builder.wait_idle(30) and prepared.builder.state is BuildState.FAILED
    assert prepared.store.stats()["entries"] == 0
    prepared.close()


def test_each_engines_key_is_known_before_its_voice_loads(catalog):
    """`describe_voice_id` is what the loaded voice says, or cached answers would be lost or wrong."""
    from runtime.composition.backends import describe_synthesizer, describe_voice_id, make_synthesizer
    from runtime.tts.espeak_tts import DEFAULT_SPEED_WPM, ESPEAK_VOICES
    from runtime.tts.voice_ids import espeak_voice_id
    assert describe_voice_id(catalog, "en") == make_synthesizer(catalog, "en").voice_id
    assert EspeakSynthesizer("en").voice_id == espeak_voice_id(ESPEAK_VOICES["en"], DEFAULT_SPEED_WPM)
    if describe_synthesizer(catalog, "zh")[0] != "kokoro":
        pytest.skip("the Kokoro voice is not installed")
    assert describe_voice_id(catalog, "zh") == make_synthesizer(catalog, "zh").voice_id


TWO_LANGUAGE_PACK = """\
venue: {id: tiny-mall, name: {en: Tiny Mall, zh: 小商场}, timezone: Asia/Shanghai}
languages: [en, zh]
default_language: en
fallback: {en: "Sorry, I cannot answer that yet.", zh: "抱歉，这个问题我还不能回答。"}
intents:
  - id: opening_hours
    questions: {en: [What time does the museum open, When do you open], zh: [几点开门, 营业时间是什么]}
    answer: {en: "The museum opens at 9 am, Tuesday to Sunday.", zh: "博物馆周二到周日早上九点开门。"}
"""


def _run(pack: Path, data: Path) -> tuple[dict, str]:
    question = REPO / "runtime" / "content" / "default" / "demo_question.wav"
    done = subprocess.run(
        [sys.executable, "-m", "runtime", "run", "--content", str(pack), "--input", str(question), "--lang", "en",
         "--asr", "whisper-base", "--output", "null", "--display", "headless", "--pace", "fast",
         "--answer-cache", "on", "--report", str(data / "report.json")],
        capture_output=True, text=True, timeout=600, cwd=REPO,
        env={**os.environ, "EDGE_AVATAR_DATA": str(data), "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((data / "report.json").read_text(encoding="utf-8")), done.stderr


@pytest.mark.slow
def test_an_english_kiosk_with_its_mandarin_answers_cached_does_not_load_the_mandarin_voice(catalog, tmp_path):
    from runtime.composition.backends import describe_synthesizer
    if catalog.by_id("whisper-base") is None or not catalog.by_id("whisper-base").available:
        pytest.skip("whisper-base packages are not installed")
    if describe_synthesizer(catalog, "zh")[0] != "kokoro":
        pytest.skip("the Kokoro voice is not installed")
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "faq.yaml").write_text(TWO_LANGUAGE_PACK, encoding="utf-8")
    first, log = _run(pack, tmp_path / "data")                # a first start makes the cache: it needs the voice
    assert "voice kokoro (zh): loading, first needed now" in log
    assert first["answer_cache"]["builder"]["built"] > 0
    again, log = _run(pack, tmp_path / "data")
    assert "voice kokoro (zh): loading, first needed now" not in log
    assert again["answer_cache"]["builder"]["built"] == 0
    [turn] = again["turns"]
    assert turn["intent"] == "opening_hours" and turn["spoken"].endswith("Tuesday to Sunday.")
