"""What of a pause, and of the audio before a turn's onset, the recogniser hears (quiet_end.py)."""

from runtime.listening.quiet_end import PauseChunk, heard_before_onset, heard_of_pause

CHUNK = 0.032


def pause(voiced: list[bool], start: float = 0.0) -> list[PauseChunk]:
    return [PauseChunk(start + i * CHUNK, start + (i + 1) * CHUNK, v) for i, v in enumerate(voiced)]


def before(voiced_oldest_first: list[bool], onset: float = 10.0) -> list[PauseChunk]:
    n = len(voiced_oldest_first)
    return [PauseChunk(onset - (n - i) * CHUNK, onset - (n - i - 1) * CHUNK, v)
            for i, v in enumerate(voiced_oldest_first)]


def test_a_silent_pause_is_heard_for_its_first_tail_only():
    assert heard_of_pause(pause([False] * 40), 0.0, tail_s=0.35, max_s=1.0) == 11   # chunks starting < 0.35 s


def test_a_quiet_ending_the_vad_still_hears_is_heard_up_to_the_cap():
    # the level gate ended the speech, the VAD goes on hearing a voice for 0.6 s: all of it is heard
    assert heard_of_pause(pause([True] * 19 + [False] * 20), 0.0, tail_s=0.35, max_s=1.0) == 19
    # a voice that never stops (a crowd) is heard up to the cap only
    assert heard_of_pause(pause([True] * 60), 0.0, tail_s=0.35, max_s=1.0) == 32


def test_a_gap_after_the_tail_ends_what_is_heard():
    voiced = [False] * 11 + [False] + [True] * 10
    assert heard_of_pause(pause(voiced), 0.0, tail_s=0.35, max_s=1.0) == 11


def test_what_was_fed_earlier_does_not_count_again():
    # the listener passes what is still held: chunks past the tail, after some were fed already
    held = pause([True, True, False, True], start=0.5)
    assert heard_of_pause(held, 0.0, tail_s=0.35, max_s=1.0) == 2


def test_before_the_onset_the_lead_is_heard_and_a_quiet_start_the_vad_heard():
    assert heard_before_onset(before([False] * 31), 10.0, lead_s=0.5, max_s=1.0) == 16
    assert heard_before_onset(before([False] * 5 + [True] * 26), 10.0, lead_s=0.5, max_s=1.0) == 26
    assert heard_before_onset(before([True] * 40), 10.0, lead_s=0.5, max_s=1.0) == 32    # capped: the chunks that reach into the last 1.0 s
    assert heard_before_onset(before([True] * 10 + [False] + [False] * 16), 10.0, lead_s=0.5, max_s=1.0) == 16
