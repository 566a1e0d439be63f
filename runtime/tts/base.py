"""The synthesiser Protocol, its output type, and a test double."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

import numpy as np

from ..audio.chunk import AudioChunk


@dataclass(frozen=True)
class PhonemeTiming:
    phoneme: str
    start: float  # seconds from the start of the segment's audio
    end: float


@dataclass(frozen=True)
class SpeechSegment:
    """One synthesised clause: its audio and, when the engine knows them, phoneme times."""

    text: str
    audio: AudioChunk
    phonemes: tuple[PhonemeTiming, ...] | None


class Synthesizer(Protocol):
    name: str
    language: str
    rate: int

    def synthesize(self, text: str, pace: float = 1.0) -> Iterator[SpeechSegment]:
        """One segment per clause, in order, the first as early as possible: the text is cut by
        `split_for_speech` and each piece spoken by `synthesize_piece`. `pace`: the speaking rate
        against the voice's own (0.85: 15 % slower, for a distressed visitor; the mood's pace)."""
        ...

    def synthesize_piece(self, piece: str, pace: float = 1.0) -> Iterator[SpeechSegment]:
        """One piece of `split_for_speech` as it is, not cut again (the answer cache speaks and stores
        pieces: a cached piece is the same audio as the piece spoken inside its answer)."""
        ...


def at_pace(text: str, pace: float) -> tuple:
    """A voice's arguments for `text` at `pace`: the pace only when it is not the voice's own, so a
    voice (or test double) written before `pace` existed still speaks every other answer."""
    return (text,) if pace == 1.0 else (text, pace)


class ToneSynthesizer:
    """Test double: a 200 Hz tone, 60 ms per character (divided by the pace), with fake 'a'/'m' phoneme times."""

    name = "tone"

    def __init__(self, language: str = "en", rate: int = 16000):
        self.language = language
        self.rate = rate
        self.voice_id: str | None = f"tone:{rate}"

    def synthesize(self, text: str, pace: float = 1.0) -> Iterator[SpeechSegment]:
        yield from self.synthesize_piece(text, pace)

    def synthesize_piece(self, text: str, pace: float = 1.0) -> Iterator[SpeechSegment]:
        seconds = 0.06 * max(1, len(text)) / pace
        t = np.arange(int(seconds * self.rate)) / self.rate
        audio = AudioChunk.from_float(0.5 * np.sin(2 * np.pi * 200 * t), self.rate)
        step = 0.12
        phonemes = tuple(PhonemeTiming("a" if i % 2 else "m", i * step, min(seconds, (i + 1) * step))
                         for i in range(int(seconds / step)))
        yield SpeechSegment(text, audio, phonemes)
