"""The answer cache (issue 30): answers synthesised before they are asked, played exactly as if
synthesised now, never stale, bounded; schedule answers keep their fixed part and speak the rest live.
Real Piper voice (deterministic, so synthesised and cached audio can be compared sample for sample)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from runtime.audio.sinks import NullSink
from runtime.conversation.lines import lines_to_prepare
from runtime.dialogue.content_pack import load_content_pack
from runtime.speaking.speech_output import SpeechOutput
from runtime.tts.answer_cache.builder import BuildState
from runtime.tts.answer_cache.keys import entry_key, namespace
from runtime.tts.answer_cache.pieces import Keepable, Part, keepable, plan
from runtime.tts.answer_cache.prepared import PreparedSpeech
from runtime.tts.answer_cache.store import SegmentStore

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PACK = REPO / "runtime" / "content" / "default"
ANSWER = "The cinema is on the fourth floor, next to the food court."
DISCLOSURE = "I am an AI-generated digital guide."
SCHEDULE = "We are closed right now. We open again {next_open}."


class RecordingSink(NullSink):
    """A null sink that keeps what it was given to play."""

    def __init__(self, rate: int):
        super().__init__(rate)
        self.played: list[bytes] = []

    def play(self, chunk, now):
        self.played.append(chunk.audio)
        return super().play(chunk, now)


def _spoken(voice, text: str):
    """What `SpeechOutput` hands the sink and puts on the mouth's track for `text` with `voice`."""
    sink = RecordingSink(voice.rate)
    speech = SpeechOutput({"en": voice}, sink, lambda: 1.0, time.perf_counter)
    utterance = speech.say(text, "en")
    assert utterance.done.wait(60) and utterance.error is None
    keys = speech.viseme_keys(0.0, 1e9)
    speech.close()
    return b"".join(sink.played), keys


def _built(piper_en, tmp_path: Path, lines: tuple[str, ...], bound_mb: float = 64) -> PreparedSpeech:
    prepared = PreparedSpeech(tmp_path / "answer-cache", bound_mb, {"precision": "float"}, live=False)
    voice = prepared.wrap(piper_en)
    prepared.prepare(voice, "sha-a", lines)
    assert prepared.builder.wait_idle(120)
    return prepared


def test_which_pieces_are_kept_and_how_a_filled_schedule_answer_is_played():
    assert keepable(ANSWER).pieces == ("The cinema is on the fourth floor,", "next to the food court.")
    assert keepable(SCHEDULE) == Keepable(("We are closed right now.",), ("We open again",))
    assert keepable("Until {closes_at}.") == Keepable((), ()), "a head this short is not worth a break"
    cached = {"We are closed right now.", "We open again"}
    assert plan("We are closed right now. We open again tomorrow at 9 am.", cached.__contains__,
                ["We open again"]) == [
        Part("We are closed right now.", True), Part("We open again", True), Part("tomorrow at 9 am.", False)]
    # a head only counts at a word boundary
    assert plan("We open againnever.", cached.__contains__, ["We open again"]) == [Part("We open againnever.", False)]
    assert namespace("a", "piper:joe", {"precision": "float"}, "en") != namespace("b", "piper:joe", {"precision": "float"}, "en")
    assert namespace("a", "piper:joe", {"precision": "float"}, "en") != namespace("a", "piper:joe", {"precision": "int8"}, "en")
    assert entry_key("ns", "Hello.") != entry_key("ns", "Hello!")


def test_a_pack_is_prepared_disclosure_first_with_its_schedule_placeholders_left_in():
    lines = lines_to_prepare(load_content_pack(DEFAULT_PACK), "en")
    assert lines[0] == DISCLOSURE
    assert f"{DISCLOSURE} I am Nova, a digital guide driven by artificial intelligence, not a real person." in lines
    assert "We are closed right now. We open again {next_open}." in lines      # answer_when, cue stripped
    assert "Do you mean {a}, or {b}?" in lines and len(set(lines)) == len(lines)


def test_a_cached_answer_plays_the_same_audio_and_mouth_as_a_synthesised_one(piper_en, tmp_path):
    lines = (DISCLOSURE, f"{DISCLOSURE} {ANSWER}", ANSWER)      # as `lines_to_prepare` gives them
    prepared = _built(piper_en, tmp_path, lines)
    voice = prepared._voices["en"]
    # the first of a session is not cut at its first clause: it is the second sentence after the disclosure
    assert prepared.builder.state is BuildState.IDLE and prepared.builder.built == 4
    synthesised = {}
    for text in (ANSWER, f"{DISCLOSURE} {ANSWER}"):
        before = dict(voice.counts)
        cached_audio, cached_keys = _spoken(voice, text)
        assert voice.counts["misses"] == before["misses"], "every piece came from the cache"
        synthesised[text] = _spoken(piper_en, text)
        assert (cached_audio, cached_keys) == synthesised[text]
    # a restart reads the pieces back from the data folder: nothing is synthesised again
    again = _built(piper_en, tmp_path, lines)
    assert again.builder.built == 0 and again.builder.found == 4
    assert _spoken(again._voices["en"], ANSWER) == synthesised[ANSWER]
    prepared.close(), again.close()


def test_a_changed_answer_is_heard_as_changed_and_never_from_the_old_pack(piper_en, tmp_path):
    pack_dir = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK, pack_dir)
    old = load_content_pack(pack_dir)
    faq = pack_dir / "faq.yaml"
    faq.write_text(faq.read_text(encoding="utf-8").replace(
        "I am Nova, a digital guide driven by artificial intelligence, not a real person.",
        "I am Nova, the museum's guide, and I run on a small computer."), encoding="utf-8")
    new = load_content_pack(pack_dir)
    new_answer = new.intent("who_are_you").answers["en"]
    assert new.digest != old.digest and "small computer" in new_answer
    prepared = PreparedSpeech(tmp_path / "answer-cache", 64, {}, live=False)
    voice = prepared.wrap(piper_en)
    prepared.prepare(voice, old.digest, (old.intent("who_are_you").answers["en"],))
    assert prepared.builder.wait_idle(120)
    fresh = _spoken(piper_en, new_answer)[0]
    assert _spoken(voice, new_answer)[0] == fresh, "before the rebuild: synthesised, not the old answer"
    prepared.prepare(voice, new.digest, (new_answer,))
    assert prepared.builder.wait_idle(120)
    before = dict(voice.counts)
    assert _spoken(voice, new_answer)[0] == fresh
    assert voice.counts["misses"] == before["misses"], "after the rebuild: from the cache"
    assert prepared.store.evicted >= 1, "the old pack's pieces are evicted"
    prepared.close()


def test_a_schedule_answer_keeps_its_fixed_part_and_synthesises_only_the_time(piper_en, tmp_path):
    prepared = _built(piper_en, tmp_path, (SCHEDULE,))
    voice = prepared._voices["en"]
    filled = SCHEDULE.replace("{next_open}", "tomorrow at 9 am")
    segments = list(voice.synthesize(filled))
    assert voice.counts == {"hits": 2, "misses": 1, "first_piece_hits": 1, "first_piece_misses": 0}
    assert [s.text for s in segments] == ["We are closed right now.", "We open again", "tomorrow at 9 am."]
    live = list(piper_en.synthesize_piece("tomorrow at 9 am."))
    assert segments[-1].audio.audio == live[-1].audio.audio and segments[-1].phonemes == live[-1].phonemes
    later = SCHEDULE.replace("{next_open}", "on Tuesday at 9 am")
    assert list(voice.synthesize(later))[-1].audio.audio == list(piper_en.synthesize_piece("on Tuesday at 9 am."))[-1].audio.audio
    prepared.close()


def test_the_bound_holds_on_disk_and_in_memory_and_evictions_are_counted(piper_en, tmp_path):
    one = sum(len(s.audio.audio) for s in piper_en.synthesize_piece("The cinema is on the fourth floor,"))
    bound_mb = 2.5 * one / (1024 * 1024)           # room for about two pieces
    prepared = _built(piper_en, tmp_path, (ANSWER, "Where would you like to go next? Enjoy your visit."),
                      bound_mb)
    stats = prepared.store.stats()
    folder = tmp_path / "answer-cache"
    on_disk = sum(f.stat().st_size for f in folder.glob("*.npz"))
    assert prepared.builder.built == 4 and stats["evicted"] >= 1 and stats["entries"] < 4
    assert stats["bytes"] <= stats["bound_bytes"] and on_disk <= stats["bound_bytes"]
    assert len(list(folder.glob("*.npz"))) == stats["entries"]
    # reopened with a smaller bound, the store evicts down to it at once
    smaller = SegmentStore(int(1.2 * one), folder)
    assert smaller.stats()["bytes"] <= int(1.2 * one) and smaller.evicted >= 1
    prepared.close()


def test_the_builder_waits_while_a_visitor_has_the_kiosk(tmp_path):
    from runtime.tts.base import ToneSynthesizer
    prepared = PreparedSpeech(tmp_path / "answer-cache", 8, {})
    voice = prepared.wrap(ToneSynthesizer())
    prepared.set_busy(True)
    prepared.prepare(voice, "sha", ("One. Two. Three.",))
    deadline = time.monotonic() + 30
    while prepared.builder.state is not BuildState.PAUSED and time.monotonic() < deadline:
        time.sleep(0.01)
    assert prepared.builder.state is BuildState.PAUSED and prepared.builder.built == 0
    prepared.set_busy(False)
    assert prepared.builder.wait_idle(30) and prepared.builder.built == 3
    assert prepared.builder.state is BuildState.IDLE
    prepared.close()
    assert prepared.builder.state is BuildState.STOPPED


def test_closing_stops_the_build_after_the_piece_in_flight(tmp_path):
    """A kiosk that stops mid-build (its last visitor answered) ends the builder at once, not after the
    whole pack: a builder left inside the voice's native code at interpreter exit aborted the process
    ("terminate called without an active exception", a live kiosk's exit code -6 in CI)."""
    from runtime.tts.base import ToneSynthesizer

    class SlowVoice(ToneSynthesizer):
        def synthesize_piece(self, text, pace=1.0):
            time.sleep(0.5)
            yield from super().synthesize_piece(text, pace)

    prepared = PreparedSpeech(tmp_path / "answer-cache", 8, {})
    voice = prepared.wrap(SlowVoice())
    prepared.prepare(voice, "sha", tuple(f"Piece number {n}." for n in range(40)))     # ~20 s to build
    deadline = time.monotonic() + 30
    while prepared.builder.built < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    prepared.builder.close(timeout=10)
    assert not prepared.builder.running, "the builder ran on after close"
    assert prepared.builder.state is BuildState.STOPPED and 1 <= prepared.builder.built < 40


def test_a_voice_without_an_id_is_not_cached_and_says_why(tmp_path):
    from runtime.tts.base import ToneSynthesizer
    prepared = PreparedSpeech(tmp_path / "answer-cache", 8, {})
    voice = prepared.wrap(ToneSynthesizer())
    voice.inner.voice_id = None
    prepared.prepare(voice, "sha", ("One.",))
    assert prepared.builder.wait_idle(30)
    assert prepared.builder.state is BuildState.FAILED and "no id" in prepared.builder.last_error
    assert [s.text for s in voice.synthesize("One.")] == ["One."]     # still spoken, live
    assert voice.counts["misses"] == 1
    prepared.close()


TINY_PACK = """\
venue: {id: tiny-museum, name: {en: Tiny Museum}, timezone: Asia/Shanghai}
languages: [en]
default_language: en
fallback: {en: "Sorry, I cannot answer that yet."}
intents:
  - id: opening_hours
    questions: {en: [What time does the museum open, When do you open, What are the opening hours]}
    answer: {en: "[smile] The museum opens at 9 am, Tuesday to Sunday."}
"""


@pytest.mark.slow
def test_the_kiosk_answers_the_first_question_from_the_cache_and_reports_it(tmp_path):
    import json
    import os
    import subprocess
    import sys
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "faq.yaml").write_text(TINY_PACK, encoding="utf-8")
    question = REPO / "runtime" / "content" / "default" / "demo_question.wav"
    done = subprocess.run(
        [sys.executable, "-m", "runtime", "run", "--content", str(pack), "--input", str(question),
         "--output", "null", "--display", "headless", "--pace", "fast", "--answer-cache", "on",
         "--report", str(tmp_path / "report.json")],
        capture_output=True, text=True, timeout=300, cwd=REPO,
        env={**os.environ, "EDGE_AVATAR_DATA": str(tmp_path / "data"), "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    [turn] = report["turns"]
    assert turn["intent"] == "opening_hours" and turn["disclosed"]
    assert turn["spoken"] == f"{DISCLOSURE} The museum opens at 9 am, Tuesday to Sunday."
    # the disclosure began as the turn ended, while the final words were decoded and the answer decided
    t = turn["timings"]
    assert t["turn_end_ms"] <= t["first_audio_ms"] < t["answer_ready_ms"]
    cache = report["answer_cache"]
    # every request for audio (the speculated answer in the pause, then the answer) began from the cache
    assert cache["first_piece_hits"] >= 1 and cache["first_piece_misses"] == 0 and cache["misses"] == 0
    assert cache["builder"]["built"] == cache["store"]["entries"] > 0 and cache["store"]["evicted"] == 0
    assert cache["store"]["folder"] == str(tmp_path / "data" / "answer-cache")


def test_a_store_on_disk_holds_no_second_copy_in_memory_and_a_failed_write_keeps_the_piece(tmp_path, monkeypatch):
    """The kiosk's memory is not a second copy of the cache on disk: a piece is read when asked. A
    write that fails (disk full) keeps that piece in memory, and pieces already on disk stay readable."""
    from runtime.tts.answer_cache import store as store_module
    from runtime.tts.base import ToneSynthesizer
    first, second = (list(ToneSynthesizer().synthesize_piece(t)) for t in ("One piece.", "Another piece."))
    store = SegmentStore(8 * 1024 * 1024, tmp_path / "answer-cache")
    store.put("space-one", first)
    assert store.stats()["in_memory"] == 0
    assert store.get("space-one")[0].audio.audio == first[0].audio.audio and store.stats()["in_memory"] == 0

    def disk_full(*_args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(store_module, "write_atomic", disk_full)
    store.put("space-two", second)
    assert store.stats()["in_memory"] == 1 and store.stats()["entries"] == 2
    assert store.get("space-two")[0].audio.audio == second[0].audio.audio
    assert store.get("space-one")[0].audio.audio == first[0].audio.audio        # still read from disk
    assert store.unreadable == 0


def test_a_card_that_turned_read_only_neither_stops_the_store_nor_loses_the_index(tmp_path, monkeypatch):
    """An SD card remounted read-only: evicting a piece cannot remove its file; the store says so and
    goes on (the builder thread and a spoken answer must not die of it)."""
    from runtime.tts.base import ToneSynthesizer
    pieces = [list(ToneSynthesizer().synthesize_piece(f"Piece {n}.")) for n in range(3)]
    one = sum(len(s.audio.audio) for s in pieces[0])
    store = SegmentStore(int(2.5 * one), tmp_path / "answer-cache")
    store.put("space-0", pieces[0])
    store.put("space-1", pieces[1])

    def read_only(self, missing_ok=False):
        raise OSError(30, "Read-only file system")
    monkeypatch.setattr(Path, "unlink", read_only)
    store.put("space-2", pieces[2])                       # evicts space-0: its file cannot be removed
    assert not store.has("space-0") and store.has("space-2") and store.evicted == 1
    assert store.retain("en.other", "en") == 2            # a new pack: both old entries go from the index
