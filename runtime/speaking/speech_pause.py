"""What is left to say when the avatar pauses mid-answer: pure, times passed in.

When a visitor starts to speak over the avatar, it pauses at once (the speech stops, the mouth
closes) and waits to learn whether this is an interruption or only an "uh-huh". If it is only a
backchannel the answer goes on — from the start of the word it was in, as a person would pick up
again, never from the middle of a syllable. `remainder` cuts what had been handed to the speaker
at the pause time into the segments still to be played.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from runtime.tts.base import PhonemeTiming, SpeechSegment

from .spoken_words import text_from

O = TypeVar("O")
BACKUP_WITHOUT_WORDS_S = 0.25     # no word times (espeak-ng, clips): pick up a little earlier


@dataclass(frozen=True)
class Scheduled(Generic[O]):
    """A segment handed to the speaker: when its first sample is heard, and whose it is."""

    start: float
    segment: SpeechSegment
    owner: O

    @property
    def end(self) -> float:
        return self.start + self.segment.audio.seconds


def word_start(segment: SpeechSegment, offset: float) -> float:
    """Where the word playing at `offset` s into the segment begins (0 for the first word)."""
    if offset <= 0:
        return 0.0
    if not segment.phonemes:
        return max(0.0, offset - BACKUP_WITHOUT_WORDS_S)
    start = 0.0
    for p in segment.phonemes:
        if p.start > offset:
            break
        if p.phoneme == " ":
            start = p.start
    return start


def tail(segment: SpeechSegment, offset: float) -> SpeechSegment:
    """The segment from `offset` s on, its phoneme times moved to match (and its text, roughly)."""
    audio = segment.audio
    first = int(round(offset * audio.rate))
    cut = audio.slice(first, audio.frames)
    phonemes = None
    if segment.phonemes is not None:
        at = first / audio.rate
        phonemes = tuple(PhonemeTiming(p.phoneme, max(0.0, p.start - at), p.end - at)
                         for p in segment.phonemes if p.end > at)
    return SpeechSegment(text_from(segment.text, offset / audio.seconds if audio.seconds else 0.0), cut, phonemes)


def remainder(scheduled: list[Scheduled[O]], stopped: float) -> list[tuple[SpeechSegment, O]]:
    """What had not been heard at `stopped`, in order: the segment playing then (from the start of
    its current word) and every segment after it."""
    rest: list[tuple[SpeechSegment, O]] = []
    for s in sorted(scheduled, key=lambda s: s.start):
        if s.end <= stopped:
            continue
        if s.start >= stopped:
            rest.append((s.segment, s.owner))
            continue
        rest.append((tail(s.segment, word_start(s.segment, stopped - s.start)), s.owner))
    return rest
