"""The recogniser Protocol and a scripted test double."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from runtime.audio.chunk import PIPELINE_RATE, AudioChunk

ASR_RATE = PIPELINE_RATE


@dataclass(frozen=True)
class TimedWord:
    """A recognised word and where it lies in the utterance's audio (seconds from the first sample
    the recogniser was given; None when the engine does not say)."""

    word: str
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True)
class SpeechEvidence:
    """What the engine itself says of an utterance it decoded: was it clear speech? (Whisper: the
    probability of its no-speech token and the average log-probability of the words it wrote.)"""

    no_speech_prob: float
    avg_logprob: float
    words: int
    language: str


class Recognizer(Protocol):
    """Streaming recogniser for one utterance at a time (16 kHz mono int16)."""

    name: str
    language: str
    weighs_speech: bool   # `speech_evidence` says how clear the speech of a finished utterance was
    # The engine may decode the final words during the visitor's pause (pocketsphinx's final passes):
    # the kiosk turns it off for a turn whose answer the spoken disclosure will precede anyway.
    decode_in_pause: bool

    def start(self) -> None:
        """Begin a new utterance, forgetting the last."""
        ...

    def accept(self, chunk: AudioChunk) -> None: ...

    def partial(self) -> str:
        """Best words so far (cheap; may change)."""
        ...

    def partial_words(self) -> list[TimedWord]:
        """The same words with their times: a word that begins in the silence after the visitor
        stopped was made up from the room, not said (see `turn_hints.said_words`)."""
        ...

    def finish(self) -> str:
        """End the utterance and return its final transcript."""
        ...

    def heard_language(self) -> str:
        """The language the latest words given (`partial_words` or `finish`) were spoken in, as the
        engine found it; a one-language engine answers its `language`. Set `language` to change
        the current one."""
        ...

    def speech_evidence(self) -> SpeechEvidence | None:
        """The engine's evidence on the utterance the last `finish` decoded; None when it gives none
        (`weighs_speech` False) or had no decode to judge."""
        ...

    def ready_ago(self) -> float:
        """Seconds before the last `finish` returned that its transcript was ready (a decode done
        during the end-of-turn wait, as Whisper's guess is); 0.0 when `finish` made it."""
        ...

    @property
    def hearing(self) -> bool:
        """False while the engine is down and being rebuilt (the VAD still hears *that* someone spoke)."""
        ...

    def tick(self) -> None:
        """Between audio chunks: a supervised recogniser rebuilds a failed engine here."""
        ...


class EngineDefaults:
    """What a plain engine (not supervised) answers to the Protocol's stage members."""

    hearing = True
    weighs_speech = False
    decode_in_pause = True

    def speech_evidence(self) -> SpeechEvidence | None:
        return None

    def tick(self) -> None:
        return None

    def ready_ago(self) -> float:
        return 0.0

    def heard_language(self) -> str:
        return self.language


class ScriptedRecognizer(EngineDefaults):
    """Test double: returns prepared transcripts, one per utterance, in order."""

    name = "scripted"

    def __init__(self, transcripts: list[str], language: str = "en", heard: list[str] | None = None):
        """`heard`: the language of each utterance, in order (default: the current `language`)."""
        self.language = language
        self._heard = list(heard or [])
        self._heard_now: str | None = None
        self._transcripts = list(transcripts)
        self._current = ""
        self.audio_seconds = 0.0

    def start(self) -> None:
        self._current = self._transcripts.pop(0) if self._transcripts else ""
        self._heard_now = self._heard.pop(0) if self._heard else None

    def heard_language(self) -> str:
        return self._heard_now or self.language

    def accept(self, chunk: AudioChunk) -> None:
        self.audio_seconds += chunk.seconds

    def partial(self) -> str:
        return self._current

    def partial_words(self) -> list[TimedWord]:
        return [TimedWord(w) for w in self._current.split()]

    def finish(self) -> str:
        return self._current
