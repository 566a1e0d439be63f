"""Meaning, not words: a pack's example questions as sentence embeddings, all languages pooled.

`SemanticIndex(pack, embedder).scores(text)` gives each intent the cosine of its closest example (a
Mandarin question meets an English example too; measured against the closest-k mean and against the
answer text as a weak example in docs/matcher.md: the closest example won) and the cosine of the closest
line of `lexicon/off_topic.yaml` (questions no venue answers). The scores of a small multilingual model
bunch (right answers ~0.95, out-of-domain questions ~0.87): `hybrid.decide` weighs the leads, not levels.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from .content_pack import ContentPack
from .embedding import Embedder

OFF_TOPIC = Path(__file__).parent / "lexicon" / "off_topic.yaml"


@functools.lru_cache(maxsize=1)
def off_topic_lines() -> tuple[str, ...]:
    data = yaml.safe_load(OFF_TOPIC.read_text(encoding="utf-8"))
    return tuple(str(q) for lines in data.values() for q in lines)


@dataclass(frozen=True)
class SemanticScores:
    by_intent: tuple[float, ...]   # in the pack's intent order (SemanticIndex.intents)
    off_topic: float


class SemanticIndex:
    def __init__(self, pack: ContentPack, embedder: Embedder):
        self.embedder = embedder
        self.intents = tuple(intent.id for intent in pack.intents)
        texts, owners = [], []
        for k, intent in enumerate(pack.intents):
            for questions in intent.questions.values():
                texts += questions
                owners += [k] * len(questions)
        self._owner = np.array(owners, dtype=np.int64)
        vectors = embedder.embed(texts + list(off_topic_lines())) if texts else np.zeros((0, embedder.dim))
        self._examples, self._off_topic = vectors[:len(texts)], vectors[len(texts):]
        self.scores = functools.lru_cache(maxsize=512)(self._scores)   # partials repeat while a turn settles

    def _scores(self, text: str) -> SemanticScores | None:
        if not text.strip() or not len(self._examples):
            return None
        query = self.embedder.embed([text])[0]
        best = np.full(len(self.intents), -1.0)
        np.maximum.at(best, self._owner, self._examples @ query)
        off = float(np.max(self._off_topic @ query)) if len(self._off_topic) else -1.0
        return SemanticScores(tuple(float(b) for b in best), off)

    def ranked(self, text: str) -> tuple[tuple[str, float], ...]:
        scores = self.scores(text)
        if scores is None:
            return ()
        return tuple(sorted(zip(self.intents, scores.by_intent), key=lambda kv: -kv[1]))
