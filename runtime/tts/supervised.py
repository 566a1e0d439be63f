"""A voice that survives its engine: when the synthesiser throws, the rest of the answer is spoken by
the fallback voice (espeak-ng) and the main voice is rebuilt after a back-off. The visitor always
gets the answer; the mouth follows the fallback's audio (the audio→viseme model)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Iterator

from ..stage_health import StageHealth
from .base import SpeechSegment, Synthesizer
from .clauses import split_for_speech

_LOGGER = logging.getLogger(__name__)


class SupervisedSynthesizer:
    def __init__(self, make: Callable[[], Synthesizer], first: Synthesizer | None,
                 fallback: Callable[[], Synthesizer], clock: Callable[[], float] = time.monotonic,
                 background: bool = True):
        self._make = make
        self._inner: Synthesizer | None = first if first is not None else make()
        self._make_fallback = fallback
        self._fallback: Synthesizer | None = None
        self.name = self._inner.name
        self.language = self._inner.language
        self.rate = self._inner.rate
        self.health = StageHealth(f"tts-{self.language}")
        self._clock = clock
        self._background = background
        self._lock = threading.Lock()
        self._rebuilding = False

    def synthesize(self, text: str) -> Iterator[SpeechSegment]:
        self._maybe_rebuild()
        inner, pieces, said = self._inner, split_for_speech(text), 0
        if inner is not None:
            try:
                for segment in inner.synthesize(text):
                    if segment.text in pieces[said:]:          # a clause may come in several segments
                        said = pieces.index(segment.text, said) + 1
                    yield segment
                return
            except Exception as err:   # any engine fault: this voice goes down, the answer goes on
                _LOGGER.exception("voice %s failed; the rest of this answer in the fallback voice", self.name)
                with self._lock:
                    if self._inner is inner:
                        self._inner = None
                        self.health.failed(self._clock(), f"{type(err).__name__}: {err}")
        if self._fallback is None:
            self._fallback = self._make_fallback()
        for piece in pieces[said:]:
            yield from self._fallback.synthesize(piece)

    def _maybe_rebuild(self) -> None:
        with self._lock:
            if self._inner is not None or self._rebuilding or not self.health.due(self._clock()):
                return
            self._rebuilding = True
        if self._background:
            threading.Thread(target=self._rebuild, name=f"rebuild-{self.health.name}", daemon=True).start()
        else:
            self._rebuild()

    def _rebuild(self) -> None:
        try:
            fresh = self._make()
        except Exception as err:   # still broken: the fallback keeps speaking; retry after the back-off
            _LOGGER.error("voice %s: rebuild failed (%s: %s)", self.name, type(err).__name__, err)
            with self._lock:
                self.health.failed(self._clock(), f"rebuild: {type(err).__name__}: {err}")
                self._rebuilding = False
            return
        with self._lock:
            self._inner = fresh
            self.health.restarted(self._clock())
            self._rebuilding = False
        _LOGGER.warning("voice %s rebuilt after %d failure(s)", self.name, self.health.failures)
