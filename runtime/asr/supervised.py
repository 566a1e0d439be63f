"""A recogniser that survives its engine: an exception marks it down, it is rebuilt in the background.

While it is down the kiosk still hears *that* someone spoke (the VAD), but not what: `hearing`
is False, turns end with no words, and the kiosk says it cannot hear right now. The rebuild runs
on its own thread (loading a model takes a second or more), with the back-off of `StageHealth`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from ..audio.chunk import AudioChunk
from ..stage_health import StageHealth
from .base import Recognizer

_LOGGER = logging.getLogger(__name__)


class SupervisedRecognizer:
    def __init__(self, make: Callable[[], Recognizer], first: Recognizer | None = None,
                 clock: Callable[[], float] = time.monotonic, background: bool = True):
        self._make = make
        self._inner: Recognizer | None = first if first is not None else make()
        self.name = self._inner.name
        self.language = getattr(self._inner, "language", "?")
        self.health = StageHealth(f"asr-{self.language}")
        self._clock = clock
        self._lock = threading.Lock()
        self._rebuilding = False
        self._ready: Recognizer | None = None   # rebuilt, waiting for the next turn to begin
        self._in_turn = False
        self._background = background   # False (files, tests): rebuild on the kiosk thread, deterministic

    @property
    def hearing(self) -> bool:
        return self._inner is not None

    def start(self) -> None:
        self._maybe_rebuild()
        self._swap_in()
        self._in_turn = True
        self._call("start")

    def accept(self, chunk: AudioChunk) -> None:
        self._call("accept", chunk)

    def partial(self) -> str:
        return self._call("partial") or ""

    def finish(self) -> str:
        self._in_turn = False
        return self._call("finish") or ""

    def _call(self, method: str, *args):
        inner = self._inner
        if inner is None:
            return None
        try:
            return getattr(inner, method)(*args)
        except Exception as err:   # any engine fault: this stage goes down, the kiosk does not
            _LOGGER.exception("recogniser %s failed in %s(); rebuilding it in the background", self.name, method)
            with self._lock:
                if self._inner is inner:
                    self._inner = None
                    self.health.failed(self._clock(), f"{type(err).__name__}: {err}")
            return None

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
        except Exception as err:   # still broken: try again after the next back-off
            _LOGGER.error("recogniser %s: rebuild failed (%s: %s)", self.name, type(err).__name__, err)
            with self._lock:
                self.health.failed(self._clock(), f"rebuild: {type(err).__name__}: {err}")
                self._rebuilding = False
            return
        with self._lock:
            self._ready = fresh
            self._rebuilding = False

    def _swap_in(self) -> None:
        with self._lock:
            if self._ready is None:
                return
            self._inner, self._ready = self._ready, None
            self.health.restarted(self._clock())
        _LOGGER.warning("recogniser %s rebuilt after %d failure(s); listening again", self.name,
                        self.health.failures)

    def tick(self) -> None:
        """Between turns: start a due rebuild, or put a rebuilt one in place, even when nobody speaks."""
        if not self._in_turn:
            self._maybe_rebuild()
            self._swap_in()
