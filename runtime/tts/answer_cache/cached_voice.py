"""A voice with its answers ready: a `Synthesizer` that plays the pieces the cache holds and
synthesises only the rest (`pieces.plan`). What it yields is what the voice would yield (the same
`SpeechSegment`s: audio, phoneme times, clause text), so the speaking stage, lip sync and barge-in
cannot tell a cached answer from a synthesised one.

The voice is used by two threads (the speech worker, the cache builder) and is not made for that
(Piper's phonemiser is one global espeak-ng): every call into it holds `engine_lock`, one segment at
a time, so an answer waits at most for the one piece the builder is on.
"""

from __future__ import annotations

import logging
import threading
from typing import Iterator

from ..base import SpeechSegment, Synthesizer, at_pace
from ..clauses import split_for_speech
from .keys import entry_key
from .pieces import plan
from .store import SegmentStore

_LOGGER = logging.getLogger(__name__)


class CachedVoice:
    def __init__(self, inner: Synthesizer, store: SegmentStore):
        self.inner = inner
        self.store = store
        self.engine_lock = threading.Lock()
        self._space: str | None = None          # no namespace yet: everything is synthesised
        self._heads: tuple[str, ...] = ()
        self._counts_lock = threading.Lock()
        self.counts = {"hits": 0, "misses": 0, "first_piece_hits": 0, "first_piece_misses": 0}

    # -- what the speaking stage sees: a Synthesizer
    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def language(self) -> str:
        return self.inner.language

    @property
    def rate(self) -> int:
        return self.inner.rate

    @property
    def health(self):
        """The supervised voice's health (the run report's `stages`), when the inner voice has one."""
        return self.inner.health

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """The supervised voice's first load (True at once for a voice that is simply there)."""
        wait = getattr(self.inner, "wait_loaded", None)
        return wait(timeout) if wait is not None and timeout is not None else (wait() if wait else True)

    def load_soon(self) -> None:
        """An on-demand voice begins to load (see `SupervisedStage.load_soon`); others are loaded."""
        load_soon = getattr(self.inner, "load_soon", None)
        if load_soon is not None:
            load_soon()

    def synthesize(self, text: str, pace: float = 1.0) -> Iterator[SpeechSegment]:
        """At another pace than the voice's own (a mood's), every piece is synthesised: the cache
        keeps pieces at the voice's own pace only."""
        space, heads = self._space, self._heads
        if pace != 1.0:
            for piece in split_for_speech(text):
                yield from self.synthesize_piece(piece, pace)
            return
        if space is None:
            parts = [(piece, None) for piece in split_for_speech(text)]
        else:
            parts = [(p.text, entry_key(space, p.text) if p.cached else None)
                     for p in plan(text, lambda t: self.store.has(entry_key(space, t)), heads)]
        for i, (piece, key) in enumerate(parts):
            segments = self.store.get(key) if key is not None else None
            self._count(segments is not None, first=i == 0)
            if segments is not None:
                yield from segments
            else:
                yield from self.synthesize_piece(piece)

    def synthesize_piece(self, piece: str, pace: float = 1.0) -> Iterator[SpeechSegment]:
        segments = iter(self.inner.synthesize_piece(*at_pace(piece, pace)))
        while True:
            with self.engine_lock:
                segment = next(segments, None)
            if segment is None:
                return
            yield segment

    # -- the builder's side
    def use(self, space: str, heads: tuple[str, ...]) -> None:
        """Answer from namespace `space` from now on (a new pack or voice)."""
        self._space, self._heads = space, heads

    @property
    def space(self) -> str | None:
        return self._space

    def prepare(self, space: str, piece: str) -> bool:
        """Synthesise `piece` into the cache unless it is there (then it is read once, which checks it:
        an unreadable piece is dropped and synthesised now, not in front of a visitor).
        True when it was synthesised now. TtsError when the main voice cannot (never the fallback's)."""
        key = entry_key(space, piece)
        if self.store.has(key):
            self.store.get(key)
            return False
        primary = getattr(self.inner, "primary_piece", None)
        with self.engine_lock:
            segments = primary(piece) if primary is not None else list(self.inner.synthesize_piece(piece))
        self.store.put(key, segments)
        return True

    def _count(self, hit: bool, first: bool) -> None:
        with self._counts_lock:
            self.counts["hits" if hit else "misses"] += 1
            if first:
                self.counts["first_piece_hits" if hit else "first_piece_misses"] += 1
