"""pocketsphinx's final passes run in the visitor's pause (on their own thread) and `finish` reuses
them; words after them throw them away. Real engine, Piper's speech; the level rules are pure."""

from __future__ import annotations

import threading
import time

import pytest

from runtime.asr.pause_levels import any_words_after, quiet_tail
from runtime.audio.chunk import AudioChunk
from runtime.composition.backends import make_recognizer

pytestmark = pytest.mark.slow
STEP = 512            # 32 ms chunks, as the kiosk's


def feed(recognizer, audio: AudioChunk, start_s: float, end_s: float, ask_every_s: float | None = None):
    """Chunks of `audio` between the two times; like the listener in a pause, ask for the words
    every `ask_every_s` (None: never)."""
    asked = None
    for i in range(int(start_s * 16000), int(end_s * 16000), STEP):
        piece = audio.slice(i, min(i + STEP, int(end_s * 16000)))
        recognizer.accept(piece)
        t = i / 16000
        if ask_every_s is not None and (asked is None or t - asked >= ask_every_s):
            recognizer.partial_words()
            asked = t


def test_the_final_passes_run_in_the_pause_and_finish_reuses_them(catalog, speak):
    audio, [(first, last)] = speak(["Where is the supermarket?"], gap_s=0.6, lead_s=0.4)
    settled, plain = make_recognizer(catalog, "en"), make_recognizer(catalog, "en")
    for recognizer, ask in ((settled, 0.1), (plain, None)):
        recognizer.start()
        feed(recognizer, audio, first - 0.3, last, None)
        feed(recognizer, audio, last, last + 0.35, ask)
    time.sleep(1.0)                                       # the pause went on; the passes are done
    assert settled.finish() == plain.finish() == "where is the supermarket"
    assert settled.stats["reused"] == 1 and plain.stats["reused"] == 0
    assert settled.ready_ago() > 0.3 and plain.ready_ago() == 0.0


def test_words_after_the_pause_throw_its_passes_away(catalog, speak):
    audio, [(a0, a1), (b0, b1)] = speak(["Where is the cinema", "and the supermarket?"], gap_s=0.8, lead_s=0.4)
    recognizer = make_recognizer(catalog, "en")
    recognizer.start()
    feed(recognizer, audio, a0 - 0.3, a1)
    feed(recognizer, audio, a1, a1 + 0.35, 0.1)           # a pause: the passes start
    time.sleep(1.0)
    feed(recognizer, audio, a1 + 0.35, b1 + 0.3)          # ... and the visitor goes on
    words = recognizer.finish().split()
    assert words[:3] == ["where", "is", "the"] and "supermarket" in words
    assert recognizer.stats["settled"] >= 1 and recognizer.stats["reused"] == 0


def test_no_passes_in_the_pause_when_the_kiosk_turns_them_off(catalog, speak):
    audio, [(first, last)] = speak(["Where is the cinema?"], gap_s=0.6, lead_s=0.4)
    recognizer = make_recognizer(catalog, "en")
    recognizer.decode_in_pause = False
    recognizer.start()
    feed(recognizer, audio, first - 0.3, last)
    feed(recognizer, audio, last, last + 0.35, 0.1)
    assert recognizer.finish() == "where is the cinema"
    assert recognizer.stats["settled"] == 0 and recognizer.stats["final"] >= 1


def levels(*dbs: float, chunk: int = 512) -> list[tuple[int, float]]:
    return [((i + 1) * chunk, db) for i, db in enumerate(dbs)]


def test_a_quiet_tail_is_measured_from_the_last_word():
    heard = levels(-20, -22, -21, -19, -45, -47, -46)
    assert quiet_tail(heard) == 3 * 512
    assert quiet_tail(levels(-20, -22, -21, -19, -45, -20)) == 0


def test_any_sound_over_the_pause_after_a_decode_counts_as_words():
    heard = levels(-20, -22, -21, -19, -45, -47, -25)      # a last syllable after the decode's audio
    assert any_words_after(heard, 7 * 512, 6 * 512)
    assert not any_words_after(levels(-20, -22, -21, -19, -45, -47, -46), 7 * 512, 5 * 512)
    assert any_words_after(levels(-20, -22, -21, -19), 16000, 0)          # far more than a pause's tail


def test_words_while_the_passes_run_never_hold_up_the_listener(catalog, speak):
    """The visitor goes on while the passes are still running: `accept` (the listener's thread, which
    also draws the avatar) only keeps the audio; the settle thread streams the utterance again after
    them and the turn's words are whole."""
    audio, [(a0, a1), (b0, b1)] = speak(["Where is the cinema", "and the supermarket?"], gap_s=0.8, lead_s=0.4)
    recognizer = make_recognizer(catalog, "en")
    passes_may_end, listener_waited = threading.Event(), []
    real_passes = recognizer._final_passes

    def held_passes(job):
        if not passes_may_end.wait(30):                   # the passes outlast the visitor's pause ...
            listener_waited.append(job.samples)           # ... unless the listener waited for them
        real_passes(job)
    recognizer._final_passes = held_passes
    finals = recognizer.stats["final"]                    # the warm-up's
    recognizer.start()
    feed(recognizer, audio, a0 - 0.3, a1)
    feed(recognizer, audio, a1, a1 + 0.35, 0.1)           # a pause: the passes start
    assert recognizer.stats["settled"] == 1
    feed(recognizer, audio, a1 + 0.35, b1 + 0.3)          # the visitor goes on: no wait for the passes
    assert recognizer.stats["final"] == finals and not listener_waited
    recognizer._final_passes = real_passes
    passes_may_end.set()
    words = recognizer.finish().split()
    assert words[:3] == ["where", "is", "the"] and "supermarket" in words
    assert recognizer.stats["reused"] == 0
