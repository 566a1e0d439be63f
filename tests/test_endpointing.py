"""End-of-turn decisions: pure, fed frame by frame with explicit times."""

from __future__ import annotations

import pytest

from runtime.shared.errors import ConfigError
from runtime.turn_taking.endpointing import EndpointConfig, Endpointer, EndpointKind

FRAME = 0.032


def feed(ep: Endpointer, pattern: list[tuple[float, float]], complete=False, t0=0.0):
    """pattern: [(seconds, prob)] -> events with kinds."""
    events, t = [], t0
    for seconds, prob in pattern:
        for _ in range(int(round(seconds / FRAME))):
            events += ep.process(t, FRAME, prob, complete)
            t += FRAME
    return events


def kinds(events):
    return [e.kind for e in events]


def test_turn_ends_after_the_long_silence_when_words_are_incomplete():
    ep = Endpointer(EndpointConfig(end_silence_s=0.6, quick_end_silence_s=0.3))
    events = feed(ep, [(0.32, 0.0), (1.0, 0.9), (1.0, 0.0)])
    assert kinds(events) == [EndpointKind.SPEECH_STARTED, EndpointKind.SPECULATE, EndpointKind.TURN_ENDED]
    end = events[-1]
    assert end.speech_start == pytest.approx(0.32, abs=0.001)
    assert end.speech_end == pytest.approx(1.32, abs=0.04)
    assert end.waited_s == pytest.approx(0.6, abs=FRAME)


def test_a_complete_question_ends_sooner():
    ep = Endpointer(EndpointConfig(end_silence_s=0.6, quick_end_silence_s=0.3))
    end = [e for e in feed(ep, [(1.0, 0.9), (1.0, 0.0)], complete=True) if e.kind is EndpointKind.TURN_ENDED][0]
    assert end.waited_s == pytest.approx(0.3, abs=FRAME)


def test_a_thinking_pause_does_not_end_the_turn():
    ep = Endpointer(EndpointConfig(end_silence_s=0.6))
    events = feed(ep, [(0.8, 0.9), (0.45, 0.0), (0.8, 0.9), (1.0, 0.0)])
    assert kinds(events) == [EndpointKind.SPEECH_STARTED, EndpointKind.SPECULATE, EndpointKind.SPEECH_RESUMED,
                             EndpointKind.SPECULATE, EndpointKind.TURN_ENDED]
    assert events[-1].speech_start == pytest.approx(0.0)


def test_a_click_is_not_a_turn():
    ep = Endpointer(EndpointConfig(min_speech_s=0.12))
    events = feed(ep, [(0.064, 0.9), (1.2, 0.0)])
    assert kinds(events) == [EndpointKind.SPEECH_STARTED, EndpointKind.DISCARDED]
    assert not ep.in_turn


def test_a_monologue_is_closed_at_the_maximum_length():
    ep = Endpointer(EndpointConfig(max_turn_s=2.0))
    events = feed(ep, [(3.0, 0.9)])
    assert EndpointKind.TURN_ENDED in kinds(events)


def test_end_of_input_closes_an_open_turn():
    ep = Endpointer()
    feed(ep, [(1.0, 0.9)])
    assert kinds(ep.flush(1.0)) == [EndpointKind.TURN_ENDED]
    assert ep.flush(1.1) == []


def test_bad_settings_are_refused_with_the_field_name():
    with pytest.raises(ConfigError, match="quick_end_silence_s"):
        EndpointConfig(end_silence_s=0.3, quick_end_silence_s=0.5)
    with pytest.raises(ConfigError, match="min_speech_s"):
        EndpointConfig(min_speech_s=-1)


def test_a_visitor_who_stops_on_um_or_mid_phrase_is_given_the_long_silence():
    from runtime.turn_taking.turn_hints import EndHint
    cfg = EndpointConfig(end_silence_s=0.6, quick_end_silence_s=0.3, hesitation_end_silence_s=1.2)
    ep = Endpointer(cfg)
    events = feed(ep, [(0.8, 0.9), (0.9, 0.0), (0.6, 0.9), (0.4, 0.0)], complete=EndHint.HESITATING)
    assert EndpointKind.TURN_ENDED not in kinds(events), "a 0.9 s thinking pause does not end the turn"
    events += feed(ep, [(1.0, 0.0)], complete=EndHint.HESITATING, t0=2.7)
    end = [e for e in events if e.kind is EndpointKind.TURN_ENDED][0]
    assert end.waited_s == pytest.approx(1.2, abs=FRAME) and end.hint == "hesitating"
    with pytest.raises(ConfigError, match="hesitation_end_silence_s"):
        EndpointConfig(end_silence_s=0.6, hesitation_end_silence_s=0.5)


@pytest.mark.parametrize("partial, hint", [
    ("where is the", "hesitating"), ("how much is um", "hesitating"), ("I am looking for", "hesitating"),
    ("where is the cinema and", "hesitating"), ("我想去那个", "hesitating"), ("嗯", "hesitating"),
    ("where is the cinema", "complete"), ("电影院在哪里", "complete"), ("i'm lost", "complete"),
    # Fragments the content already matches, stopped on a word that needs more: not done.
    ("what time does", "hesitating"), ("can i borrow", "hesitating"), ("i lost", "hesitating"),
    ("uh is there", "hesitating"), ("where can i", "hesitating"),
    ("how much is it", "none"),
    ("blue sky today", "none"), ("", "none"),
])
def test_the_words_so_far_say_whether_the_visitor_is_done(partial, hint):
    from runtime.turn_taking.turn_hints import end_hint
    known = {"where is the cinema", "电影院在哪里", "where is the cinema and", "what time does", "can i borrow",
             "i lost", "i'm lost", "where can i"}
    assert end_hint(partial, lambda text: text in known).value == hint


def test_words_the_recogniser_made_up_from_the_silence_do_not_count():
    """Pocketsphinx, given 0.35 s of a quiet hall after "what time does", heard "…does greek": a
    word that begins after the visitor stopped, or a sliver too short to be a word, is not theirs."""
    from runtime.asr.base import TimedWord
    from runtime.turn_taking.turn_hints import end_hint, said_words
    words = [TimedWord("what", 0.30, 0.46), TimedWord("time", 0.47, 0.76), TimedWord("does", 0.77, 1.01),
             TimedWord("greek", 1.06, 1.30)]
    assert said_words(words, speech_end=1.04) == "what time does"
    sliver = [TimedWord("where", 0.16, 0.38), TimedWord("can", 0.38, 0.54), TimedWord("i", 0.54, 0.63),
              TimedWord("eat", 0.63, 0.75)]                 # the language model's "eat", from the end of "I"
    assert said_words(sliver, speech_end=0.80) == "where can i"
    said_last = [TimedWord("where", 0.16, 0.38), TimedWord("can", 0.38, 0.54), TimedWord("i", 0.54, 0.66),
                 TimedWord("eat", 0.66, 0.95)]              # "where can I eat?": its last word drawn out
    assert said_words(said_last, speech_end=1.0) == "where can i eat"
    short_is = [TimedWord("how", 0.16, 0.35), TimedWord("much", 0.35, 0.63), TimedWord("is", 0.63, 0.72)]
    assert said_words(short_is, speech_end=0.8) == "how much is"        # a short function word is real
    assert said_words([TimedWord("cinema")], speech_end=0.0) == "cinema"      # no times: kept
    # "Uh, is there… wifi here?": in the pause the phrase-biased language model put "wifi" at the
    # end of "there", 40 ms of it before the voice stopped — the turn must not end as a question
    made_up = [TimedWord("is", 0.74, 0.89), TimedWord("there", 0.89, 1.02), TimedWord("wifi", 1.02, 1.20)]
    assert said_words(made_up, speech_end=1.06) == "is there"
    assert end_hint(said_words(made_up, speech_end=1.06), lambda text: "wifi" in text).value == "hesitating"
    drawn_out = [TimedWord("is", 0.74, 0.89), TimedWord("there", 0.89, 1.02), TimedWord("wifi", 1.02, 1.45)]
    assert said_words(drawn_out, speech_end=1.40) == "is there wifi"      # said: it stands before the end
