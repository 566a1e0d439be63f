"""The crowd judge (runtime/listening/turn_judge.py): level first, then the VAD's own probability, then
the recogniser's evidence on the decoded turn. Pure: every case is data in, verdict out."""

from __future__ import annotations

from runtime.asr.base import SpeechEvidence
from runtime.listening.turn_judge import (
    CROWD_LEVEL,
    CROWD_UNCLEAR,
    JudgeConfig,
    TurnEvidence,
    Verdict,
    judge_turn,
)
from runtime.turn_taking.events import CROWD

CLEAR = SpeechEvidence(0.05, -0.2, 9, "en")       # Whisper base on the clean real English sets: <= 0.15, >= -0.3
NOISE = SpeechEvidence(0.75, -0.85, 0, "en")      # ... on the noise recordings alone: 0.6-0.9, dropped


def test_a_turn_loud_over_the_hall_is_a_visitor_whatever_else_is_known():
    assert judge_turn(TurnEvidence(True, None, False)).verdict is Verdict.VISITOR
    assert judge_turn(TurnEvidence(True, 0.2, True, NOISE)).verdict is Verdict.VISITOR


def test_without_a_recogniser_that_weighs_speech_the_levels_verdict_stands():
    """pocketsphinx gives no no-speech probability: a quiet turn is the crowd's, as before."""
    judged = judge_turn(TurnEvidence(False, 0.99, False))
    assert judged.verdict is Verdict.CROWD and judged.reason == CROWD_LEVEL == CROWD


def test_a_quiet_turn_the_vad_is_unsure_of_is_the_crowd_at_once():
    assert judge_turn(TurnEvidence(False, 0.6, True)).verdict is Verdict.CROWD
    assert judge_turn(TurnEvidence(False, None, True)).verdict is Verdict.CROWD


def test_a_quiet_turn_the_vad_is_sure_of_waits_for_its_words():
    judged = judge_turn(TurnEvidence(False, 0.95, True, None, turn_s=1.5))
    assert judged.verdict is Verdict.UNDECIDED
    # ... but a murmur that never pauses does not hold the kiosk
    assert judge_turn(TurnEvidence(False, 0.95, True, None, turn_s=16.0)).verdict is Verdict.CROWD


def test_its_words_decide_clear_speech_is_kept_the_halls_noise_is_dropped_with_the_reason():
    assert judge_turn(TurnEvidence(False, 0.95, True, CLEAR)).verdict is Verdict.VISITOR
    judged = judge_turn(TurnEvidence(False, 0.95, True, NOISE))
    assert judged.verdict is Verdict.CROWD and judged.reason == CROWD_UNCLEAR and "no-speech 0.75" in judged.detail
    unsure_words = SpeechEvidence(0.1, -1.2, 4, "en")        # words, but Whisper guessed them
    assert judge_turn(TurnEvidence(False, 0.95, True, unsure_words)).verdict is Verdict.CROWD
    no_words = SpeechEvidence(0.1, -0.2, 0, "en")
    assert judge_turn(TurnEvidence(False, 0.95, True, no_words)).verdict is Verdict.CROWD
    timed_out = judge_turn(TurnEvidence(False, 0.95, True, None, 3.0, ended=True))   # no decode came in time
    assert timed_out.verdict is Verdict.CROWD and timed_out.reason == CROWD_LEVEL


def test_mandarin_has_its_own_no_speech_limit():
    """Whisper's no-speech probability runs higher on Mandarin with its prompt (<= 0.37 measured)."""
    zh = SpeechEvidence(0.35, -0.4, 1, "zh")
    assert judge_turn(TurnEvidence(False, 0.95, True, zh)).verdict is Verdict.VISITOR
    assert judge_turn(TurnEvidence(False, 0.95, True, SpeechEvidence(0.35, -0.4, 5, "en"))).verdict is Verdict.CROWD
    strict = JudgeConfig(no_speech_max={"en": 0.27, "zh": 0.3})
    assert judge_turn(TurnEvidence(False, 0.95, True, zh), strict).verdict is Verdict.CROWD


def test_likely_words_are_kept_over_steady_noise_up_to_the_sure_limit():
    """A visitor over street or station noise: Whisper's no-speech runs up to ~0.36, its words are sure."""
    street = SpeechEvidence(0.36, -0.11, 9, "en")
    assert judge_turn(TurnEvidence(False, 1.0, True, street)).verdict is Verdict.VISITOR
    # what the noise recordings alone give (no-speech >= 0.53, log-prob <= -0.30) stays the hall's
    assert judge_turn(TurnEvidence(False, 1.0, True, SpeechEvidence(0.55, -0.35, 2, "en"))).verdict is Verdict.CROWD
    assert judge_turn(TurnEvidence(False, 1.0, True, SpeechEvidence(0.62, -0.05, 2, "en"))).verdict is Verdict.CROWD
