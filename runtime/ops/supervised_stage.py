"""A pipeline stage (recogniser, voice) that survives its engine: load, fail, rebuild.

The engine is built by `make`; with `preload` the first build runs on its own thread so the avatar
is on screen while the model loads; `on_demand`, when it is first needed (`_load_on_demand`: a voice
for a language the kiosk may never hear today need not hold memory from the start). An exception
from the engine marks the stage down (`mark_failed`); a rebuild is due after the back-off of
`StageHealth` and runs on its own thread (or inline with `background=False`, for files and tests).
What a subclass does with a rebuilt engine is its own business (`_rebuilt`): a voice puts it in
place at once, a recogniser waits for the next turn to begin.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Generic, Protocol, TypeVar, runtime_checkable

from .stage_health import StageHealth

_LOGGER = logging.getLogger(__name__)
FIRST_LOAD_WAIT_S = 60.0
E = TypeVar("E")
FailureHook = Callable[[str, str], None]   # (stage name, error): the kiosk's EventRecorder


@runtime_checkable
class Supervised(Protocol):
    """What the kiosk and its report ask of a supervised stage, whatever engine it keeps alive."""

    kind: str                          # "recogniser", "voice"
    name: str
    language: str
    health: StageHealth                # up/down, failures, restarts, last error (the report's `stages`)
    on_failure: FailureHook | None     # told of every failure, on the thread where the engine raised

    def wait_loaded(self, timeout: float = FIRST_LOAD_WAIT_S) -> bool:
        """True once the first engine has loaded (or failed to, and the stage runs on its fallback)."""
        ...


class SupervisedStage(Generic[E]):
    kind = "stage"          # "recogniser", "voice": for the log

    def __init__(self, make: Callable[[], E], first: E | None, health_name: Callable[[str], str],
                 clock: Callable[[], float], background: bool, preload: bool,
                 on_loaded: Callable[[], None] | None, on_demand: bool = False):
        self._make = make
        self._clock = clock
        self._background = background
        self._lock = threading.Lock()
        self._loaded = threading.Event()
        self._on_loaded = on_loaded
        self._inner: E | None = None
        self._health_name = health_name
        self.on_failure: FailureHook | None = None
        self._awaiting_demand = first is None and on_demand   # not loaded until first asked for
        if first is None and (preload or on_demand):
            self.health = StageHealth(health_name(self.language))
            self._rebuilding = True
            if not on_demand:
                threading.Thread(target=self._first_load, name=f"load-{self.kind}", daemon=True).start()
            return
        self._inner = first if first is not None else make()
        self._describe(self._inner)
        self.health = StageHealth(health_name(self.language))
        self._rebuilding = False
        self._loaded_now()

    # -- what a subclass says about its engine
    language = "?"
    name = "?"

    def _describe(self, engine: E) -> None:
        """Take name/language (and the like) from a built engine."""
        self.name, self.language = getattr(engine, "name", "?"), getattr(engine, "language", "?")

    def _check_first(self, engine: E) -> None:
        """A first engine loaded in the background: warn if it is not what the config promised."""

    def _rebuilt(self, engine: E) -> None:
        """Called under the lock with a rebuilt engine: put it in place (a subclass may defer)."""
        self._inner = engine
        self.health.restarted(self._clock())
        _LOGGER.warning("%s %s rebuilt after %d failure(s)", self.kind, self.name, self.health.failures)

    # -- shared life cycle
    def wait_loaded(self, timeout: float = FIRST_LOAD_WAIT_S) -> bool:
        """True at once for a stage loaded on demand and not asked for yet: nothing is loading."""
        return self._awaiting_demand or self._loaded.wait(timeout)

    def _load_on_demand(self) -> None:
        """A stage made `on_demand` loads now, on the thread that first needs it (the speech worker, the
        answer-cache builder); a second asker meanwhile waits for `_loaded`."""
        with self._lock:
            start, self._awaiting_demand = self._awaiting_demand, False
        if start:
            _LOGGER.info("%s %s (%s): loading, first needed now", self.kind, self.name, self.language)
            self._first_load()

    def load_soon(self) -> None:
        """A stage made `on_demand` that will likely be needed (a visitor speaks its language): its load
        begins now on its own thread, so what it is first asked for need not wait the whole load."""
        if self._awaiting_demand:
            threading.Thread(target=self._load_on_demand, name=f"load-{self.kind}", daemon=True).start()

    def _loaded_now(self) -> None:
        if self._on_loaded is not None:    # before the event: whoever waits for it sees its log lines too
            self._on_loaded()
        self._loaded.set()

    def _first_load(self) -> None:
        started = time.perf_counter()
        try:
            fresh = self._make()
        except Exception as err:   # the kiosk runs on without it and rebuilds after the back-off
            _LOGGER.error("%s %s: first load failed (%s: %s)", self.kind, self.name, type(err).__name__, err)
            with self._lock:
                self.health.failed(self._clock(), f"load: {type(err).__name__}: {err}")
                self._rebuilding = False
            self._loaded.set()
            return
        self._check_first(fresh)
        with self._lock:
            self._inner, self._rebuilding = fresh, False
        _LOGGER.info("%s %s (%s) loaded in %.2f s", self.kind, self.name, self.language,
                     time.perf_counter() - started)
        self._loaded_now()

    def close(self, timeout: float = 10) -> None:
        """The kiosk stops: the engines' own threads end (`close(timeout)` where an engine has one), and
        nothing is rebuilt after this."""
        with self._lock:
            engines = [e for e in (self._inner, *self._waiting()) if e is not None]
            self._inner, self._rebuilding = None, True
        for engine in engines:
            close = getattr(engine, "close", None)
            if close is not None:
                close(timeout)

    def _waiting(self) -> tuple[E | None, ...]:
        """Engines built but not yet in place (a subclass that defers `_rebuilt`)."""
        return ()

    def mark_failed(self, engine: E, err: Exception) -> None:
        """`engine` raised: the stage is down (unless it was already replaced) until a rebuild."""
        failed = None
        with self._lock:
            if self._inner is engine:
                self._inner = None
                self.health.failed(self._clock(), f"{type(err).__name__}: {err}")
                failed = self.on_failure
        if failed is not None:
            failed(self.health.name, f"{type(err).__name__}: {err}")

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
            _LOGGER.error("%s %s: rebuild failed (%s: %s)", self.kind, self.name, type(err).__name__, err)
            with self._lock:
                self.health.failed(self._clock(), f"rebuild: {type(err).__name__}: {err}")
                self._rebuilding = False
            return
        with self._lock:
            self._rebuilt(fresh)
            self._rebuilding = False
