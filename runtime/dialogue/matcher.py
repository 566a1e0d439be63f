"""Intent matching: TF-IDF over n-grams, cosine against every example question.

Pure logic: built once from a ContentPack, `match(text, lang)` returns the best
intent with a confidence in [0, 1], or None below the fallback threshold.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from .content_pack import ContentPack
from .text_features import features

DEFAULT_THRESHOLD = 0.3


@dataclass(frozen=True)
class Match:
    intent_id: str | None  # None: fall back
    confidence: float
    lang: str
    runner_up: str | None = None
    runner_up_confidence: float = 0.0


class _LanguageIndex:
    def __init__(self, examples: list[tuple[str, Counter[str]]]):
        docs = len(examples)
        df: Counter[str] = Counter()
        for _, grams in examples:
            df.update(grams.keys())
        self.idf = {g: math.log((1 + docs) / (1 + n)) + 1.0 for g, n in df.items()}
        self.vectors = [(intent_id, self._vector(grams)) for intent_id, grams in examples]

    def _vector(self, grams: Counter[str]) -> dict[str, float]:
        vec = {g: w * self.idf.get(g, 0.0) for g, w in grams.items() if g in self.idf}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {g: v / norm for g, v in vec.items()}

    def scores(self, grams: Counter[str]) -> dict[str, float]:
        query = self._vector(grams)
        best: dict[str, float] = {}
        for intent_id, vec in self.vectors:
            small, large = (query, vec) if len(query) < len(vec) else (vec, query)
            score = sum(v * large.get(g, 0.0) for g, v in small.items())
            if score > best.get(intent_id, 0.0):
                best[intent_id] = score
        return best


class IntentMatcher:
    def __init__(self, pack: ContentPack, threshold: float = DEFAULT_THRESHOLD):
        self.pack = pack
        self.threshold = threshold
        self._indexes = {
            lang: _LanguageIndex([(intent.id, features(q, lang))
                                  for intent in pack.intents for q in intent.questions.get(lang, ())])
            for lang in pack.languages
        }

    def match(self, text: str, lang: str) -> Match:
        index = self._indexes.get(lang)
        if index is None or not text.strip():
            return Match(None, 0.0, lang)
        ranked = sorted(index.scores(features(text, lang)).items(), key=lambda kv: -kv[1])
        if not ranked:
            return Match(None, 0.0, lang)
        (best, score), runner = ranked[0], (ranked[1] if len(ranked) > 1 else (None, 0.0))
        score = min(1.0, score)
        return Match(best if score >= self.threshold else None, round(score, 4), lang,
                     runner[0], round(min(1.0, runner[1]), 4))
