"""Meaning, not words: a pack's example questions as sentence embeddings, all languages pooled.

`SemanticIndex(pack, embedder).ranked(text)` scores each intent by the cosine of its closest example
(a Mandarin question meets an English example too). The scores of a small multilingual model bunch
(right answers ~0.95, out-of-domain questions ~0.87), so the matcher decides on the margin over the
second-best intent, not on a fixed level (`matcher.SEMANTIC_MARGIN`, docs/content-pack.md).
"""

from __future__ import annotations

import functools

import numpy as np

from .content_pack import ContentPack
from .embedding import Embedder


class SemanticIndex:
    def __init__(self, pack: ContentPack, embedder: Embedder):
        self.embedder = embedder
        texts, owners = [], []
        for intent in pack.intents:
            for questions in intent.questions.values():
                for q in questions:
                    texts.append(q)
                    owners.append(intent.id)
        self._intents = sorted(set(owners))
        self._owner = np.array([self._intents.index(o) for o in owners])
        self._examples = embedder.embed(texts) if texts else np.zeros((0, embedder.dim), np.float32)
        self.ranked = functools.lru_cache(maxsize=512)(self._ranked)   # partials repeat while a turn settles

    def _ranked(self, text: str) -> tuple[tuple[str, float], ...]:
        if not text.strip() or not len(self._examples):
            return ()
        scores = self._examples @ self.embedder.embed([text])[0]
        best = np.full(len(self._intents), -1.0)
        np.maximum.at(best, self._owner, scores)
        order = np.argsort(-best)
        return tuple((self._intents[i], float(best[i])) for i in order)
