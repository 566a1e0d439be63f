"""Which of the avatar's words the room carried in a stretch of time: pure, times passed in.

Words a recogniser picks out over the avatar's voice are the avatar's own only if it was saying
them then (or a moment before: the room rings on). Filtering by the whole answer instead threw
away a visitor's words that the answer happened to contain — "wait, how much is *parking*?" over
an answer about parking lost "parking" and was taken for a backchannel (bench/turn_taking.py).

A clause's word times are estimated from where each word sits in its text (characters take time
roughly evenly; phoneme alignments do not map back to written words: "B1" is two spoken words,
"30" one), with one word of slack either side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runtime.tts.base import SpeechSegment

SLACK_WORDS = 1
_TOKEN = re.compile(r"\S+")


def words_in(text: str, seconds: float, t0: float, t1: float, slack: int = SLACK_WORDS) -> list[str]:
    """The words of `text`, spoken over `seconds`, that were being said between `t0` and `t1`
    seconds into it."""
    tokens = list(_TOKEN.finditer(text))
    if not tokens or seconds <= 0 or t1 < 0 or t0 > seconds or t1 < t0:
        return []
    per_char = seconds / len(text)
    first = next(i for i, m in enumerate(tokens) if m.end() * per_char >= t0)
    last = max(i for i, m in enumerate(tokens) if m.start() * per_char <= t1)
    lo, hi = max(0, first - slack), min(len(tokens) - 1, max(first, last) + slack)
    return [m.group() for m in tokens[lo:hi + 1]]


def text_from(text: str, fraction: float) -> str:
    """The text from the word that `fraction` of the way through it falls in (for a clause taken
    up again after a pause)."""
    at = int(len(text) * max(0.0, min(1.0, fraction)))
    start = 0
    for m in _TOKEN.finditer(text):
        if m.start() > at:
            break
        start = m.start()
    return text[start:]


@dataclass
class _Heard:
    start: float
    until: float
    segment: SpeechSegment


class SpokenLog:
    """The clauses the speaker played, on the output time line (the last minute), cut where
    playback stopped."""

    KEEP_S = 60.0

    def __init__(self) -> None:
        self._heard: list[_Heard] = []

    def add(self, start: float, segment: SpeechSegment) -> None:
        self._heard = [h for h in self._heard if h.until > start - self.KEEP_S]
        self._heard.append(_Heard(start, start + segment.audio.seconds, segment))

    def cut(self, t: float) -> None:
        """Nothing handed to the speaker was heard after `t`."""
        self._heard = [h for h in self._heard if h.start < t]
        for h in self._heard:
            h.until = min(h.until, t)

    def words_between(self, t0: float, t1: float) -> str:
        words: list[str] = []
        for h in sorted(self._heard, key=lambda h: h.start):
            if h.until > t0 and h.start < t1:
                words += words_in(h.segment.text, h.segment.audio.seconds,
                                  t0 - h.start, min(t1, h.until) - h.start)
        return " ".join(words)
