"""The exemplars' embeddings, kept on disk between starts (embedding ~350 turns costs seconds).

Keyed by the embedder's name and the exact texts: a changed exemplar file or another model makes a
new file. A file that cannot be read is logged and embedded again (never trusted half-read). The
shipped exemplars' embeddings by the shipped model come with the package (`vectors/`, float16, made
by `scripts/make_safety_vectors.py`), so a kiosk's first start does not spend seconds on them
before its avatar is up.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from .guard import TextEmbedder

_LOGGER = logging.getLogger(__name__)


SHIPPED = Path(__file__).parent / "vectors"


def vectors_file(embedder: TextEmbedder, texts: list[str]) -> str:
    key = hashlib.sha256("\n".join([embedder.name, *texts]).encode("utf-8")).hexdigest()[:20]
    return f"safety-exemplars-{key}.npy"


def cached_vectors(embedder: TextEmbedder, texts: list[str], cache_dir: Path | None) -> np.ndarray:
    shipped = SHIPPED / vectors_file(embedder, texts)
    if shipped.exists():
        try:
            vectors = np.load(shipped, allow_pickle=False).astype(np.float32)
            if vectors.shape[0] == len(texts):
                return vectors
        except (OSError, ValueError) as err:
            _LOGGER.warning("%s: unreadable (%s); embedding the exemplars", shipped, err)
    if cache_dir is None:
        return embedder.embed(texts)
    path = Path(cache_dir) / vectors_file(embedder, texts)
    if path.exists():
        try:
            vectors = np.load(path, allow_pickle=False)
            if vectors.shape[0] == len(texts):
                return vectors
            _LOGGER.warning("%s: %d rows for %d exemplars; embedding them again", path, vectors.shape[0], len(texts))
        except (OSError, ValueError) as err:
            _LOGGER.warning("%s: unreadable (%s); embedding the exemplars again", path, err)
    vectors = embedder.embed(texts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors, allow_pickle=False)
        tmp.replace(path)
    except OSError as err:
        _LOGGER.warning("%s: cannot keep the exemplar embeddings (%s); they are embedded at every start", path, err)
    return vectors

