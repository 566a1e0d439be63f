"""A recogniser that survives its engine: an exception marks it down, it is rebuilt in the background.

While it is down the kiosk still hears *that* someone spoke (the VAD), but not what: `hearing`
is False, turns end with no words, and the kiosk says it cannot hear right now. The rebuild runs
on its own thread (loading a model takes a second or more), with the back-off of `StageHealth`.
With `preload`, even the first load runs in the background, so the avatar is on screen while
the model loads; a visitor who speaks before it is ready is heard once it is (the turn waits).
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
FIRST_LOAD_WAIT_S = 60.0


class SupervisedRecognizer:
    def __init__(self, make: Callable[[], Recognizer], first: Recognizer | None = None,
                 clock: Callable[[], float] = time.monotonic, background: bool = True,
                 name: str | None = None, language: str | None = None, preload: bool = False,
                 on_loaded: Callable[[], None] | None = None):
        self._make = make
        self._clock = clock
        self._lock = threading.Lock()
        self._ready: Recognizer | None = None   # rebuilt, waiting for the next turn to begin
        self._in_turn = False
        self._background = background   # False (files, tests): rebuild on the kiosk thread, deterministic
        self._loaded = threading.Event()
        self._on_loaded = on_loaded
        self._inner: Recognizer | None = None
        if first is None and preload:
            self.name, self.language = name or "?", language or "?"
            self.health = StageHealth(f"asr-{self.language}")
            self._rebuilding = True
            threading.Thread(target=self._first_load, name="load-recogniser", daemon=True).start()
        else:
            self._inner = first if first is not None else make()
            self.name, self.language = self._inner.name, getattr(self._inner, "language", "?")
            self.health = StageHealth(f"asr-{self.language}")
            self._rebuilding = False
            self._loaded_now()

    @property
    def hearing(self) -> bool:
        return self._inner is not None

    def wait_loaded(self, timeout: float = FIRST_LOAD_WAIT_S) -> bool:
        return self._loaded.wait(timeout)

    def start(self) -> None:
        self._loaded.wait(FIRST_LOAD_WAIT_S)     # a visitor who spoke during the first load is heard
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

    def tick(self) -> None:
        """Between turns: start a due rebuild, or put a rebuilt one in place, even when nobody speaks."""
        if not self._in_turn:
            self._maybe_rebuild()
            self._swap_in()

    def _loaded_now(self) -> None:
        self._loaded.set()
        if self._on_loaded is not None:
            self._on_loaded()

    def _first_load(self) -> None:
        started = time.perf_counter()
        try:
            fresh = self._make()
        except Exception as err:   # the kiosk runs on, deaf, and rebuilds after the back-off
            _LOGGER.error("recogniser: first load failed (%s: %s)", type(err).__name__, err)
            with self._lock:
                self.health.failed(self._clock(), f"load: {type(err).__name__}: {err}")
                self._rebuilding = False
            self._loaded.set()
            return
        with self._lock:
            self._inner, self._rebuilding = fresh, False
        _LOGGER.info("recogniser %s (%s) loaded in the background in %.2f s", fresh.name, self.language,
                     time.perf_counter() - started)
        self._loaded_now()

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
