"""The recogniser Protocol and a scripted test double."""

from __future__ import annotations

from typing import Protocol

from ..audio.chunk import AudioChunk

ASR_RATE = 16000


class Recognizer(Protocol):
    """Streaming recogniser for one utterance at a time (16 kHz mono int16)."""

    name: str
    language: str

    def start(self) -> None:
        """Begin a new utterance, forgetting the last."""
        ...

    def accept(self, chunk: AudioChunk) -> None: ...

    def partial(self) -> str:
        """Best words so far (cheap; may change)."""
        ...

    def finish(self) -> str:
        """End the utterance and return its final transcript."""
        ...


class ScriptedRecognizer:
    """Test double: returns prepared transcripts, one per utterance, in order."""

    name = "scripted"

    def __init__(self, transcripts: list[str], language: str = "en"):
        self.language = language
        self._transcripts = list(transcripts)
        self._current = ""
        self.audio_seconds = 0.0

    def start(self) -> None:
        self._current = self._transcripts.pop(0) if self._transcripts else ""

    def accept(self, chunk: AudioChunk) -> None:
        self.audio_seconds += chunk.seconds

    def partial(self) -> str:
        return self._current

    def finish(self) -> str:
        return self._current
