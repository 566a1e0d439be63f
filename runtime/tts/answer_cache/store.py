"""The bounded store of synthesised pieces: on disk under the data folder when it is writable (so a
restart does not synthesise again), read when asked (an uncompressed .npz of a few hundred KB: well
under a millisecond, and the OS's page cache keeps the recent ones); in memory only when the folder is
not writable, or a write failed (a kiosk's memory holds no second copy of the cache on disk).

Bound: `max_bytes` of audio kept (memory and disk alike: the disk holds no entry the index does not).
Adding past it evicts the least recently used entries, counted in `evicted`; an entry bigger than the
bound is not kept (counted in `refused`). Entries of namespaces no longer in use go first (`retain`).
Thread-safe: the speech worker reads, the builder writes.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path

from runtime.shared.errors import TtsError

from ..base import SpeechSegment
from .entry_file import decode, encode, write_atomic
from .keys import language_of, same_language, space_of

_LOGGER = logging.getLogger(__name__)
SUFFIX = ".npz"


class SegmentStore:
    def __init__(self, max_bytes: int, folder: Path | None = None):
        if max_bytes <= 0:
            raise ValueError(f"answer cache: the bound must be positive, got {max_bytes} bytes")
        self.max_bytes = max_bytes
        self.folder = _usable(folder)
        self._writable = self.folder is not None
        self._lock = threading.Lock()
        self._sizes: OrderedDict[str, int] = OrderedDict()    # key -> bytes, least recently used first
        self._memory: dict[str, list[SpeechSegment]] = {}     # the pieces not on disk
        self.evicted = 0
        self.refused = 0
        self.unreadable = 0
        if self.folder is not None:
            for partial in self.folder.glob("*.tmp"):     # a write cut short by a power loss
                partial.unlink(missing_ok=True)
            files = sorted(self.folder.glob(f"*{SUFFIX}"), key=lambda f: f.stat().st_mtime)
            for f in files:
                self._sizes[f.stem] = f.stat().st_size
            self._evict_to(self.max_bytes)

    def has(self, key: str) -> bool:
        with self._lock:
            return key in self._sizes

    def get(self, key: str) -> list[SpeechSegment] | None:
        with self._lock:
            if key not in self._sizes:
                return None
            self._sizes.move_to_end(key)
            segments = self._memory.get(key)
        if segments is not None:
            return segments
        return self._load(key)

    def put(self, key: str, segments: list[SpeechSegment]) -> None:
        blob = encode(segments)
        size = len(blob)
        if size > self.max_bytes:
            with self._lock:
                self.refused += 1
            _LOGGER.warning("answer cache: %s (%d bytes) is over the whole bound (%d); not kept", key, size,
                            self.max_bytes)
            return
        on_disk = False
        if self.folder is not None and self._writable:
            try:
                write_atomic(self.folder / f"{key}{SUFFIX}", blob)
                on_disk = True
            except OSError as err:
                _LOGGER.error("answer cache: cannot write %s (%s); new pieces kept in memory only", self.folder, err)
                self._writable = False
        with self._lock:
            self._sizes[key] = size
            self._sizes.move_to_end(key)
            if on_disk:
                self._memory.pop(key, None)
            else:
                self._memory[key] = segments
            self._evict_to(self.max_bytes)

    def retain(self, space: str, language: str) -> int:
        """`space` is now `language`'s namespace: evict every entry of that language's other namespaces (an
        old pack or voice) and of namespaces from before they had a language; returns how many. Other
        languages' entries stay: their voices' jobs may not have run yet in this start."""
        with self._lock:
            old = [k for k in self._sizes if space_of(k) != space
                   and (same_language(space_of(k), language) or language_of(space_of(k)) is None)]
            for key in old:
                self._drop(key)
            self.evicted += len(old)
            return len(old)

    def stats(self) -> dict[str, int | str | None]:
        with self._lock:
            return {"entries": len(self._sizes), "bytes": sum(self._sizes.values()), "bound_bytes": self.max_bytes,
                    "in_memory": len(self._memory), "evicted": self.evicted, "refused": self.refused,
                    "unreadable": self.unreadable, "folder": str(self.folder) if self.folder is not None else None}

    # -- under the lock
    def _evict_to(self, limit: int) -> None:
        total = sum(self._sizes.values())
        while total > limit and self._sizes:
            key, size = next(iter(self._sizes.items()))
            self._drop(key)
            self.evicted += 1
            total -= size

    def _drop(self, key: str) -> None:
        self._sizes.pop(key, None)
        self._memory.pop(key, None)
        if self.folder is not None:
            try:
                (self.folder / f"{key}{SUFFIX}").unlink(missing_ok=True)
            except OSError as err:      # a card remounted read-only: the index no longer holds it
                _LOGGER.error("answer cache: cannot remove %s (%s)", key, err)

    def _load(self, key: str) -> list[SpeechSegment] | None:
        path = self.folder / f"{key}{SUFFIX}" if self.folder is not None else None
        try:
            if path is None:
                raise TtsError(f"answer cache: {key} is indexed but not in memory and there is no folder")
            segments = decode(path.read_bytes(), str(path))
        except (OSError, TtsError) as err:
            with self._lock:
                if isinstance(err, FileNotFoundError) and key not in self._sizes:
                    return None        # evicted by the builder while this read it: a plain miss
                self.unreadable += 1
                self._drop(key)
            _LOGGER.error("answer cache: %s; synthesising it instead", err)
            return None
        return segments


def _usable(folder: Path | None) -> Path | None:
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        _LOGGER.warning("answer cache: %s is not writable (%s); kept in memory only", folder, err)
        return None
    return folder
