"""The "answer-cache" thread: synthesises a pack's fixed pieces into the cache in the background.

One job per (voice, pack): the namespace (pack sha256, the voice's id, its settings), then every
piece the pack's lines can be cut into (`pieces.keepable`), the disclosure lines first. It never
competes with a visitor: the kiosk says when it is busy (a turn open, the avatar speaking, an answer
being prepared) and the builder pauses before its next piece; the thread also runs at a lower CPU
priority (nice +10) where the OS allows a thread's own (Linux) — in a live kiosk; a run from a file
waits for the build and builds at normal priority. A piece in flight when the visitor
starts is finished first (one piece: ~0.1-0.3 s with Piper).

State (`BuildState`): IDLE (nothing to build) -> BUILDING -> PAUSED (kiosk busy) -> BUILDING ... ->
IDLE; FAILED when the main voice could not build a job (down, or raised: the rest of that job is
left to live synthesis, logged, and the next job tries again); STOPPED after `close`, which ends the
build after the piece in flight (the rest is built at the next start): a kiosk that stops never
leaves this thread inside the voice's native code while the interpreter shuts down (Python 3.11 ends
such a thread with pthread_exit, which aborts the process through C++ frames: "terminate called
without an active exception").
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from enum import Enum

from runtime.shared.errors import EdgeAvatarError

from .cached_voice import CachedVoice
from .keys import namespace
from .pieces import keepable

_LOGGER = logging.getLogger(__name__)
BUILDER_NICE = 10


class BuildState(Enum):
    IDLE = "idle"
    BUILDING = "building"
    PAUSED = "paused"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True)
class BuildJob:
    voice: CachedVoice
    pack_sha256: str
    lines: tuple[str, ...]          # cue-free texts, placeholders left in, most urgent first
    settings: tuple[tuple[str, object], ...] = ()


class CacheBuilder:
    """`nice`: how much lower the thread's CPU priority is (0 when nothing waits on a visitor: a run
    from a file waits for the build before it starts)."""

    def __init__(self, nice: int = BUILDER_NICE):
        self._nice = nice
        self._jobs: queue.Queue[BuildJob | None] = queue.Queue()
        self._free = threading.Event()
        self._free.set()
        self._idle = threading.Event()
        self._idle.set()
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._state = BuildState.IDLE
        self.built = 0            # pieces synthesised into the cache
        self.found = 0            # pieces already there (from disk, another job)
        self.failed_jobs = 0
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="answer-cache", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def state(self) -> BuildState:
        return self._state

    def submit(self, job: BuildJob) -> None:
        self._idle.clear()
        self._jobs.put(job)

    def set_busy(self, busy: bool) -> None:
        """The kiosk is (not) busy with a visitor: pause before the next piece (or go on)."""
        if busy:
            self._free.clear()
        else:
            self._free.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once every submitted job is done (for runs from a file, built before they start)."""
        return self._idle.wait(timeout)

    def close(self, timeout: float = 10) -> None:
        """Stops after the piece in flight (one synthesis) and waits for the thread to end."""
        self._closing.set()
        self._free.set()
        self._jobs.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            _LOGGER.warning("answer cache: the builder did not stop within %.0f s (a synthesis still running)", timeout)

    def stats(self) -> dict[str, object]:
        return {"state": self._state.value, "built": self.built, "found": self.found,
                "failed_jobs": self.failed_jobs, "last_error": self.last_error}

    # -- the thread
    def _set(self, state: BuildState) -> None:
        with self._lock:
            if self._state is not BuildState.STOPPED:
                self._state = state

    def _run(self) -> None:
        if self._nice:
            _lower_priority(self._nice)
        while True:
            job = self._jobs.get()
            if job is None or self._closing.is_set():
                self._set(BuildState.STOPPED)
                self._idle.set()
                return
            started = time.perf_counter()
            try:
                built = self._build(job)
                _LOGGER.info("answer cache (%s): %d pieces built, %d already there, %.1f s", job.voice.language,
                             built, self.found, time.perf_counter() - started)
                self._set(BuildState.IDLE)
            except EdgeAvatarError as err:
                self.failed_jobs += 1
                self.last_error = str(err)
                self._set(BuildState.FAILED)
                _LOGGER.error("answer cache (%s): %s; the rest is synthesised when asked", job.voice.language, err)
            if self._jobs.empty():
                self._idle.set()

    def _build(self, job: BuildJob) -> int:
        self._set(BuildState.BUILDING)
        voice_id = getattr(job.voice.inner, "voice_id", None)
        if voice_id is None:
            raise EdgeAvatarError(f"voice {job.voice.name} ({job.voice.language}) is down or has no id; "
                                  f"nothing cached for it")
        space = namespace(job.pack_sha256, voice_id, dict(job.settings), job.voice.language)
        keep = [keepable(line) for line in job.lines]
        heads = tuple(dict.fromkeys(h for k in keep for h in k.heads))
        pieces = list(dict.fromkeys(p for k in keep for p in (*k.pieces, *k.heads)))
        job.voice.use(space, heads)
        gone = job.voice.store.retain(space, job.voice.language)
        if gone:
            _LOGGER.info("answer cache (%s): %d pieces of an older pack or voice evicted", job.voice.language, gone)
        built = 0
        for done, piece in enumerate(pieces):
            if not self._free.is_set():
                self._set(BuildState.PAUSED)
                self._free.wait()
                self._set(BuildState.BUILDING)
            if self._closing.is_set():
                _LOGGER.info("answer cache (%s): stopping with %d of %d pieces left for the next start",
                             job.voice.language, len(pieces) - done, len(pieces))
                break
            if job.voice.prepare(space, piece):
                built += 1
                self.built += 1
            else:
                self.found += 1
        return built


def _lower_priority(nice: int) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError) as err:   # not Linux, or not allowed: the pause still holds
        _LOGGER.info("answer cache: builder runs at normal priority (%s)", err)
