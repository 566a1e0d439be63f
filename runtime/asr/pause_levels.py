"""Where an utterance's words end, judged from its chunks' levels: pure logic over (samples, dBFS).

Both recognisers that decode in the visitor's pause (Whisper's guess, pocketsphinx's final passes)
ask the same two questions of the audio they were given: is this chunk the pause or words, and did
words come after the audio a decode covered? `levels` is the utterance's chunks in order, each as
(samples at the chunk's end, its dBFS).
"""

from __future__ import annotations

import numpy as np

from runtime.audio.levels import SILENCE_DBFS, level_dbfs

from .base import ASR_RATE

QUIET_BELOW_SPEECH_DB = 15.0   # a chunk this far under the utterance's speech level is the pause, not words
QUIET_OVER_FLOOR_DB = 6.0      # ... or within this of its quietest chunks (a noisy hall)
TAIL_MAX_S = 0.6               # the listener feeds <= 0.35 s of a pause (listener.TAIL_S; a decode may be
                               # taken a few chunks before the VAD marks the end): more than this is speech again
SPEECH_WITHIN_DB = 8.0         # ... and so are SPEECH_CHUNKS chunks within this of the utterance's speech level
SPEECH_CHUNKS = 3              # (~100 ms: a word, not a clatter of cutlery)

Levels = list[tuple[int, float]]


def quiet_below(levels: Levels) -> float:
    """The level under which a chunk is the pause, not words: well under the utterance's speech
    (its 90th-percentile chunk), or near its floor (10th percentile) in a noisy hall."""
    if len(levels) < 4:
        return -120.0
    ranked = sorted(level for _, level in levels)
    speech, floor = ranked[int(0.9 * (len(ranked) - 1))], ranked[int(0.1 * (len(ranked) - 1))]
    return max(speech - QUIET_BELOW_SPEECH_DB, floor + QUIET_OVER_FLOOR_DB)


def matters_after(levels: Levels, total: int, samples: int) -> bool:
    """Did the visitor speak again after the utterance's first `samples` (of `total`)? The listener
    hands on only the pause's first 0.35 s unless speech resumes, so more audio than that means
    words; so do a few chunks nearly as loud as the utterance's speech. Judged by amount first,
    because a hall's noise in the tail is no quieter than a soft word."""
    if total - samples > TAIL_MAX_S * ASR_RATE:
        return True
    if len(levels) < 4:
        return total > samples
    ranked = sorted(level for _, level in levels)
    speech = ranked[int(0.9 * (len(ranked) - 1))]
    loud = sum(1 for end, level in levels if end > samples and level >= speech - SPEECH_WITHIN_DB)
    return loud >= SPEECH_CHUNKS


def any_words_after(levels: Levels, total: int, samples: int) -> bool:
    """The strict form of `matters_after`: any chunk after the first `samples` that is not the
    pause's quiet (a final pass reused over a word's last syllable would lose it)."""
    if total - samples > TAIL_MAX_S * ASR_RATE:
        return True
    threshold = quiet_below(levels)
    return any(level >= threshold for end, level in levels if end > samples)


def quiet_tail(levels: Levels) -> int:
    """Samples of quiet at the end of what was heard (0 when the last chunk is words)."""
    if len(levels) < 4:
        return 0
    threshold = quiet_below(levels)
    end = levels[-1][0]
    start = end
    for i in range(len(levels) - 1, -1, -1):
        if levels[i][1] >= threshold:
            break
        start = levels[i - 1][0] if i > 0 else 0
    return end - start


def dbfs(samples: np.ndarray) -> float:
    """An int16 chunk's level."""
    if len(samples) == 0:
        return SILENCE_DBFS
    return level_dbfs(float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) / 32768.0)
