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
    """With `preload` (name, language and rate given), the voice loads in the background from the
    start; an answer asked for before it is loaded waits for it."""

    def __init__(self, make: Callable[[], Synthesizer], first: Synthesizer | None,
                 fallback: Callable[[], Synthesizer], clock: Callable[[], float] = time.monotonic,
                 background: bool = True, preload: tuple[str, str, int] | None = None,
                 on_loaded: Callable[[], None] | None = None):
        self._make = make
        self._make_fallback = fallback
        self._fallback: Synthesizer | None = None
        self._clock = clock
        self._background = background
        self._lock = threading.Lock()
        self._loaded = threading.Event()
        self._on_loaded = on_loaded
        self._inner: Synthesizer | None = None
        if first is None and preload is not None:
            self.name, self.language, self.rate = preload
            self.health = StageHealth(f"tts-{self.language}")
            self._rebuilding = True
            threading.Thread(target=self._first_load, name="load-voice", daemon=True).start()
            return
        self._inner = first if first is not None else make()
        self.name, self.language, self.rate = self._inner.name, self._inner.language, self._inner.rate
        self.health = StageHealth(f"tts-{self.language}")
        self._rebuilding = False
        self._loaded_now()

    def _loaded_now(self) -> None:
        self._loaded.set()
        if self._on_loaded is not None:
            self._on_loaded()

    def _first_load(self) -> None:
        started = time.perf_counter()
        try:
            fresh = self._make()
        except Exception as err:   # the fallback voice speaks; the main one is retried after the back-off
            _LOGGER.error("voice %s: first load failed (%s: %s)", self.name, type(err).__name__, err)
            with self._lock:
                self.health.failed(self._clock(), f"load: {type(err).__name__}: {err}")
                self._rebuilding = False
            self._loaded.set()
            return
        if fresh.rate != self.rate:
            _LOGGER.warning("voice %s: %d Hz, not the %d Hz its config said; the sink resamples",
                            fresh.name, fresh.rate, self.rate)
        with self._lock:
            self._inner, self._rebuilding = fresh, False
        _LOGGER.info("voice %s (%s) loaded in the background in %.2f s", fresh.name, self.language,
                     time.perf_counter() - started)
        self._loaded_now()

    def synthesize(self, text: str) -> Iterator[SpeechSegment]:
        self._loaded.wait(60.0)
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
