"""A voice that survives its engine: when the synthesiser throws, the rest of the answer is spoken by
the fallback voice (espeak-ng) and the main voice is rebuilt after a back-off. The visitor always
gets the answer; the mouth follows the fallback's audio (the audio→viseme model)."""

from __future__ import annotations

import logging
import time
from typing import Callable, Iterator

from runtime.ops.supervised_stage import FIRST_LOAD_WAIT_S, SupervisedStage
from runtime.shared.errors import TtsError

from .base import SpeechSegment, Synthesizer, at_pace
from .clauses import split_for_speech

_LOGGER = logging.getLogger(__name__)


class SupervisedSynthesizer(SupervisedStage[Synthesizer]):
    """With `preload` (name, language and rate given), the voice loads in the background from the
    start; an answer asked for before it is loaded waits for it. With `on_demand` too, it loads when
    first asked for a piece the answer cache does not hold; `voice_id` (from `describe_voice_id`) is
    its cache key meanwhile."""

    kind = "voice"

    def __init__(self, make: Callable[[], Synthesizer], first: Synthesizer | None,
                 fallback: Callable[[], Synthesizer], clock: Callable[[], float] = time.monotonic,
                 background: bool = True, preload: tuple[str, str, int] | None = None,
                 on_loaded: Callable[[], None] | None = None, on_demand: bool = False,
                 voice_id: str | None = None):
        self._make_fallback = fallback
        self._fallback: Synthesizer | None = None
        self._described_id = voice_id
        if preload is not None:
            self.name, self.language, self.rate = preload
        elif on_demand:
            raise ValueError("an on-demand voice needs `preload` (its name, language and rate before it loads)")
        super().__init__(make, first, lambda lg: f"tts-{lg}", clock, background,
                         first is None and preload is not None, on_loaded, on_demand)

    def _describe(self, engine: Synthesizer) -> None:
        self.name, self.language, self.rate = engine.name, engine.language, engine.rate

    def _check_first(self, engine: Synthesizer) -> None:
        loaded_id = getattr(engine, "voice_id", None)
        if self._described_id is not None and loaded_id != self._described_id:
            _LOGGER.error("voice %s: loaded as %s, not the %s its cache key was made from; nothing more is "
                          "cached for it", engine.name, loaded_id, self._described_id)
        if engine.rate != self.rate:
            _LOGGER.warning("voice %s: %d Hz, not the %d Hz its config said; the sink resamples",
                            engine.name, engine.rate, self.rate)

    def synthesize(self, text: str, pace: float = 1.0) -> Iterator[SpeechSegment]:
        self._load_on_demand()
        self._loaded.wait(FIRST_LOAD_WAIT_S)
        self._maybe_rebuild()
        inner, pieces, said = self._inner, split_for_speech(text), 0
        if inner is not None:
            try:
                for segment in inner.synthesize(*at_pace(text, pace)):
                    if segment.text in pieces[said:]:          # a clause may come in several segments
                        said = pieces.index(segment.text, said) + 1
                    yield segment
                return
            except Exception as err:   # any engine fault: this voice goes down, the answer goes on
                _LOGGER.exception("voice %s failed; the rest of this answer in the fallback voice", self.name)
                self.mark_failed(inner, err)
        if self._fallback is None:
            self._fallback = self._make_fallback()
        for piece in pieces[said:]:
            yield from self._fallback.synthesize(*at_pace(piece, pace))

    def synthesize_piece(self, piece: str, pace: float = 1.0) -> Iterator[SpeechSegment]:
        """One piece as it is (see `Synthesizer.synthesize_piece`), in the fallback voice when the main
        voice is down or fails on it."""
        self._load_on_demand()
        self._loaded.wait(FIRST_LOAD_WAIT_S)
        self._maybe_rebuild()
        inner, said = self._inner, 0
        if inner is not None:
            try:
                for segment in inner.synthesize_piece(*at_pace(piece, pace)):
                    said += 1
                    yield segment
                return
            except Exception as err:   # any engine fault: this voice goes down, the piece goes on
                _LOGGER.exception("voice %s failed; this piece in the fallback voice", self.name)
                self.mark_failed(inner, err)
                if said:               # part of it was heard: the fallback would say it twice
                    return
        if self._fallback is None:
            self._fallback = self._make_fallback()
        yield from self._fallback.synthesize_piece(*at_pace(piece, pace))

    def primary_piece(self, piece: str) -> list:
        """The piece in the main voice only, never the fallback's (what the answer cache may keep):
        TtsError when the main voice is down or fails, or is not the voice its cache key names."""
        self._load_on_demand()
        self._loaded.wait(FIRST_LOAD_WAIT_S)
        inner = self._inner
        if inner is None:
            raise TtsError(f"voice {self.name}: down (being rebuilt); nothing to cache")
        if self._described_id is not None and getattr(inner, "voice_id", None) != self._described_id:
            raise TtsError(f"voice {self.name}: loaded as {getattr(inner, 'voice_id', None)}, not "
                           f"{self._described_id}; nothing to cache under that key")
        try:
            return list(inner.synthesize_piece(piece))
        except Exception as err:   # the engine is down for answers too: same as a failed answer
            self.mark_failed(inner, err)
            raise TtsError(f"voice {self.name}: failed on {piece[:40]!r} ({type(err).__name__}: {err})") from err

    @property
    def voice_id(self) -> str | None:
        """The main voice's id (the answer cache's key), or None while it is down; an on-demand voice
        not loaded yet: the id it was described with."""
        if self._awaiting_demand:
            return self._described_id
        self._loaded.wait(FIRST_LOAD_WAIT_S)
        inner = self._inner
        return getattr(inner, "voice_id", None) if inner is not None else None
