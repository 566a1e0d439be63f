"""bench/turn_taking.py's real-voice scenarios, their pure parts: the pause finder, preparing a
recording, widening a pause, the scenario plans (deterministic with a seed) and what became of a
turn or a paused sentence (bench/real_voices.py, bench/turn_outcomes.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench import real_voices as rv
from bench import turn_outcomes as to

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "speech"
RATE = rv.RATE


def talk(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Speech-like: harmonics under a syllable envelope that never falls silent for long."""
    t = np.arange(int(seconds * RATE)) / RATE
    voice = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420, 700), 1))
    envelope = 0.15 + 0.1 * np.sin(2 * np.pi * 4 * t) ** 2
    return (voice * envelope * 0.3 + rng.normal(0, 1e-3, t.size)).astype(np.float32)


def room(seconds: float, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0, 1e-3, int(seconds * RATE)).astype(np.float32)       # about -60 dBFS


def sentence(*parts: tuple[str, float], seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([talk(s, rng) if kind == "talk" else room(s, rng) for kind, s in parts])


def test_pause_finder_finds_the_pause_inside_the_sentence():
    audio = sentence(("room", 0.3), ("talk", 0.8), ("room", 0.4), ("talk", 0.9), ("room", 0.3))
    pauses = rv.find_pauses(audio)
    assert len(pauses) == 1
    assert abs(pauses[0].start - 1.1) <= 0.02 and abs(pauses[0].end - 1.5) <= 0.02


def test_pause_finder_ignores_short_gaps_edges_and_lone_words():
    short = sentence(("room", 0.3), ("talk", 0.8), ("room", 0.15), ("talk", 0.8), ("room", 0.3))
    assert rv.find_pauses(short) == []
    assert [round(p.end - p.start, 2) for p in rv.find_pauses(short, min_pause_s=0.1)] == [0.15]
    lone = sentence(("talk", 0.2), ("room", 0.5), ("talk", 1.0))       # under 0.3 s of speech before it
    assert rv.find_pauses(lone) == []
    assert rv.find_pauses(room(1.0, np.random.default_rng(2))) == []


def test_prepare_trims_and_levels_the_recording():
    audio = 0.05 * sentence(("room", 0.5), ("talk", 1.2), ("room", 0.6))
    u = rv.prepare("set-en/a", "hello", audio, -24.0)
    assert abs(rv.active_level_db(u.audio) - -24.0) < 0.5
    assert abs(u.onset - rv.EDGE_S) <= 0.011 and abs(u.audio.size / RATE - (1.2 + 2 * rv.EDGE_S)) <= 0.02
    assert u.audio[0] == 0.0                                               # faded in
    assert rv.prepare("set-en/b", "", np.zeros(RATE, np.float32), -24.0) is None


def test_widen_keeps_both_parts_and_stretches_the_pause_without_a_seam():
    audio = sentence(("talk", 0.8), ("room", 0.3), ("talk", 0.8))
    pause = rv.Pause(0.8, 1.1)
    before, gap, after = rv.widen(audio, pause, 0.95)
    assert before.size == int(0.8 * RATE) and after.size == audio.size - int(1.1 * RATE)
    assert gap.size == int(round(0.95 * RATE))
    quiet = audio[int(0.8 * RATE):int(1.1 * RATE)]
    assert np.array_equal(gap[:quiet.size], quiet) and np.array_equal(gap[quiet.size:2 * quiet.size], quiet[::-1])


def utterances(n: int) -> list[rv.RealUtterance]:
    return [rv.RealUtterance(f"s-en/{i}", f"text {i}", np.zeros(10, np.float32), 0.0, 0.001) for i in range(n)]


def test_plans_are_deterministic_with_a_seed_and_use_every_recording_per_round():
    us = utterances(5)
    turns = lambda seed: [u.key for u in rv.plan_turns(us, 12, np.random.default_rng(seed))]  # noqa: E731
    assert turns(3) == turns(3) and turns(3) != turns(4)
    first = turns(3)
    assert sorted(first[:5]) == sorted(u.key for u in us) and sorted(first[5:10]) == sorted(u.key for u in us)
    assert len(rv.plan_turns(us, None, np.random.default_rng(0))) == 5
    plans = rv.plan_interruptions(us, 7, np.random.default_rng(9))
    assert plans == rv.plan_interruptions(us, 7, np.random.default_rng(9))
    assert [p.k for p in plans] == list(range(7)) and all(0.0 <= p.at <= 1.0 for p in plans)
    candidates = [(us[0], rv.Pause(0.5, 0.8)), (us[1], rv.Pause(0.4, 0.7))]
    paused = rv.plan_pauses(candidates, 6, np.random.default_rng(5))
    assert paused == rv.plan_pauses(candidates, 6, np.random.default_rng(5))
    assert all(0.6 <= p.gap_s <= 1.2 for p in paused) and {p.utterance.key for p in paused} == {"s-en/0", "s-en/1"}
    assert rv.plan_pauses([], 3, np.random.default_rng(5)) == []
    assert rv.interruption_delay(0.0, 5.0) == 1.5 and abs(rv.interruption_delay(1.0, 5.0) - (1.2 + 5.0 - 1.5)) < 1e-9


def turn(start: float, end: float, text: str = "words") -> dict:
    return {"transcript": text, "timings": {"speech_start_ms": int(start * 1000), "speech_end_ms": int(end * 1000)}}


def test_turn_outcomes():
    assert to.turn_outcome([turn(0.9, 3.1)], [], 1.0, 3.0)["outcome"] == "one turn"
    assert to.turn_outcome([turn(1.0, 2.0), turn(2.5, 3.0), turn(5.0, 6.0)], [], 1.0, 3.0)["outcome"] == "split"
    gone = to.turn_outcome([turn(5.0, 6.0)], [{"reason": "crowd", "speech_start_ms": 1000, "speech_end_ms": 2900}],
                           1.0, 3.0)
    assert gone == {"outcome": "not answered", "heard": [], "not_answered": ["crowd"]}
    assert to.turn_outcome([turn(0.5, 9.0)], [], 1.0, 3.0)["outcome"] == "run-on"        # took in the crowd too


def test_pause_outcomes_whole_continuation_dropped():
    first, second = (1.0, 2.0), (3.0, 4.0)
    assert to.pause_outcome([turn(1.0, 4.0)], [], first, second)["outcome"] == "whole"
    cut_then_whole = to.pause_outcome([turn(1.0, 2.0), turn(1.0, 4.0)], [], first, second)
    assert cut_then_whole["outcome"] == "whole" and cut_then_whole["first_part_answered_alone"]
    assert to.pause_outcome([turn(1.0, 2.0), turn(3.0, 4.0)], [], first, second)["outcome"] == "continuation"
    ignored = [{"reason": "ignored-over-speech", "speech_start_ms": 3000, "speech_end_ms": 4000}]
    dropped = to.pause_outcome([turn(1.0, 2.0)], ignored, first, second)
    assert dropped["outcome"] == "dropped" and dropped["not_answered"] == ["ignored-over-speech"]
    assert to.pause_outcome([turn(-3.0, 4.0)], [], first, second)["outcome"] == "run-on"
    outcomes = [{"outcome": "whole"}, {"outcome": "dropped"}, {"outcome": "whole"}]
    assert to.count_outcomes(outcomes, to.PAUSE_OUTCOMES) == {"whole": 2, "continuation": 0, "dropped": 1,
                                                               "run-on": 0}


def test_voiced_seconds_add_up():
    a = {"in": 2.0, "accounted": {"answered": 1.5}, "unaccounted": 0.5}
    b = {"in": 1.0, "accounted": {"answered": 0.5, "crowd": 0.5}, "unaccounted": 0.0}
    assert to.add_voiced(to.add_voiced({}, a), b) == {"in": 3.0, "accounted": {"answered": 2.0, "crowd": 0.5},
                                                      "unaccounted": 0.5}


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is not beside the checkout")
def test_real_sets_load_and_their_pauses_lie_inside_the_speech():
    us = rv.load_utterances(SPEECH, -24.0)
    assert us and all(u.key.split("/")[0].endswith("-en") for u in us)
    for u, p in rv.pause_candidates(us):
        assert p.end - p.start >= rv.MIN_PAUSE_S - 1e-9
        assert u.onset + rv.MIN_PART_S <= p.start and p.end + rv.MIN_PART_S <= u.offset
