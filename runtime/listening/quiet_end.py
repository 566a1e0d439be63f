"""What a recogniser hears around a turn's speech: pure logic over the chunks before and after it.

The level gate starts and ends a visitor's speech where their level stands clear of the hall's; real
voices fall in level at the end of a sentence (and some start softly), so a last word ("… is to be")
can be under the gate while the VAD still hears a voice in it. Of a pause the recogniser hears its
first `tail_s` at once (it settles the last word); before a turn's onset, its last `lead_s` (the
first syllable). A recogniser that judges its own evidence of speech (Whisper: its no-speech
probability, `Recognizer.weighs_speech`) also hears, past those, every chunk the VAD calls voiced,
without a gap, up to `max_s` from the speech: the quiet ending and the soft start. The rest of a
pause is held back and given to it only if the visitor speaks again: a recogniser left to listen to
a second of the hall finds words in it (pocketsphinx does; measured on the tuning sets for Whisper
only, docs/listening.md).
"""

from __future__ import annotations

from dataclasses import dataclass

TAIL_S = 0.35            # of the silence that ended a turn, what the recogniser always hears
QUIET_END_MAX_S = 1.0    # ... and at most this much, if the VAD still hears a voice in it
QUIET_START_MAX_S = 1.0  # before a turn's onset: at most this much, if the VAD heard a voice in it


@dataclass(frozen=True)
class PauseChunk:
    start: float     # the chunk's first sample, seconds
    end: float       # just after its last
    voiced: bool     # the VAD (before the level gate) called it speech


def heard_of_pause(chunks: list[PauseChunk], speech_end: float, tail_s: float = TAIL_S,
                   max_s: float = QUIET_END_MAX_S) -> int:
    """How many of a pause's chunks, in order from its start, the recogniser hears."""
    heard = 0
    for chunk in chunks:
        if chunk.start < speech_end + tail_s or (chunk.voiced and chunk.start < speech_end + max_s):
            heard += 1
        else:
            break
    return heard


def heard_before_onset(chunks: list[PauseChunk], onset: float, lead_s: float,
                       max_s: float = QUIET_START_MAX_S) -> int:
    """How many of the chunks before a turn's onset (in order, the last just before it) the recogniser
    hears: the last `lead_s`, and before that every chunk the VAD called voiced, without a gap, up to
    `max_s` before the onset (a quiet first word)."""
    heard = 0
    for chunk in reversed(chunks):
        if chunk.end > onset - lead_s + 1e-9 or (chunk.voiced and chunk.end > onset - max_s + 1e-9):
            heard += 1
        else:
            break
    return heard
