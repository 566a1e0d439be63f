"""The answer cache as the kiosk sees it: wrap a voice, prepare a pack's lines for it, pause the
builder while a visitor has the kiosk, and count for the run report."""

from __future__ import annotations

from pathlib import Path

from ..base import Synthesizer
from .builder import BUILDER_NICE, BuildJob, CacheBuilder
from .cached_voice import CachedVoice
from .store import SegmentStore

DEFAULT_BOUND_MB = 64


class PreparedSpeech:
    """`settings` are what else decides a voice's audio (voice precision, …): part of the key. `live`:
    a visitor may be waiting while it builds (the builder runs at a lower priority)."""

    def __init__(self, folder: Path | None, bound_mb: float = DEFAULT_BOUND_MB,
                 settings: dict[str, object] | None = None, live: bool = True):
        self.store = SegmentStore(int(bound_mb * 1024 * 1024), folder)
        self.builder = CacheBuilder(BUILDER_NICE if live else 0)
        self.settings = tuple(sorted((settings or {}).items()))
        self._voices: dict[str, CachedVoice] = {}

    def wrap(self, voice: Synthesizer) -> CachedVoice:
        cached = voice if isinstance(voice, CachedVoice) else CachedVoice(voice, self.store)
        self._voices[cached.language] = cached
        return cached

    def prepare(self, voice: Synthesizer, pack_sha256: str, lines: tuple[str, ...]) -> None:
        """Build `lines` into the cache for `voice` in the background (a voice not wrapped: nothing)."""
        if isinstance(voice, CachedVoice):
            self.builder.submit(BuildJob(voice, pack_sha256, lines, self.settings))

    def set_busy(self, busy: bool) -> None:
        self.builder.set_busy(busy)

    def close(self) -> None:
        self.builder.close()

    def report(self) -> dict[str, object]:
        """The run report's `answer_cache`: pieces played from the cache (hits) or synthesised
        (misses), per voice and in all; what the builder did; the store and its bound."""
        voices = {lang: dict(v.counts) for lang, v in self._voices.items()}
        totals = {k: sum(c[k] for c in voices.values()) for k in ("hits", "misses", "first_piece_hits",
                                                                  "first_piece_misses")}
        return {**totals, "voices": voices, "builder": self.builder.stats(), "store": self.store.stats()}
