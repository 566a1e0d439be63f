"""Intent matching: TF-IDF over n-grams and venue concepts, cosine against every example.

Pure logic: built once from a ContentPack, `match(text, lang)` returns the best
intent with a confidence in [0, 1] (None below the fallback threshold) and the
runner-up, so the dialogue can ask which one the visitor meant when they are close.

Method, chosen by measurement (bench/dialogue.py, docs/dialogue.md):
- features: zh character 1-3 grams; en stemmed words, word pairs and character
  3-grams; plus one feature per concept of the venue lexicon (built-in synonyms in
  both languages + the pack's own), so paraphrases with other words still meet;
- a grams the pack never uses still counts in the question's length, so a question
  about the weather that shares only "what is the" with an example scores low;
- each intent scores the best of its single examples and of its examples pooled.

With a `SemanticIndex` (sentence embeddings, `semantic.py`) the decision is hybrid (`hybrid.py`): the
scores of every intent (lexical, closest example, approved answer) fused, the top one answered when a logistic score of five signals trusts it, a
close call turned into a clarifying question, the rest to the fallback. Chosen on the dev sets and on
three tuned packs (mall-demo, chenghu-garden, yongding-station), reported on held-out sets of packs
never used for tuning (bench/venues.py, docs/matcher.md).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace

from .content_pack import ContentPack
from .lexicon import Lexicon
from .hybrid import decide
from .semantic import SemanticIndex
from .text_features import features

# Below this confidence the visitor hears the fallback. Per language, because the
# scores of character n-grams (zh) and of words (en) spread differently; chosen on
# the dev set and the pack examples, never on the held-out set.
DEFAULT_THRESHOLDS = {"en": 0.5, "zh": 0.43}
POOLED_WEIGHT = 1.0  # an intent's examples pooled weigh as much as its closest example


@dataclass(frozen=True)
class Match:
    intent_id: str | None  # None: fall back
    confidence: float
    lang: str
    runner_up: str | None = None
    runner_up_confidence: float = 0.0
    close_call: bool = False   # intent and runner-up are too close to tell: ask which one


class _LanguageIndex:
    def __init__(self, examples: list[tuple[str, Counter[str]]]):
        docs = len(examples)
        df: Counter[str] = Counter()
        for _, grams in examples:
            df.update(grams.keys())
        self.idf = {g: math.log((1 + docs) / (1 + n)) + 1.0 for g, n in df.items()}
        self.unknown_idf = math.log(1 + docs) + 1.0
        self.vectors = [(intent_id, self._vector(grams)) for intent_id, grams in examples]
        pooled: dict[str, Counter[str]] = {}
        for intent_id, grams in examples:
            pooled.setdefault(intent_id, Counter()).update(grams)
        self.pooled = [(intent_id, self._vector(grams)) for intent_id, grams in pooled.items()]

    def _vector(self, grams: Counter[str], known_only: bool = True) -> dict[str, float]:
        vec = {g: w * self.idf.get(g, self.unknown_idf) for g, w in grams.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {g: v / norm for g, v in vec.items() if not known_only or g in self.idf}

    def scores(self, grams: Counter[str]) -> dict[str, float]:
        # Unknown grams stay in the norm (known_only drops them only after normalising).
        query = self._vector(grams)
        best: dict[str, float] = {}
        for vectors, weight in ((self.vectors, 1.0), (self.pooled, POOLED_WEIGHT)):
            for intent_id, vec in vectors:
                small, large = (query, vec) if len(query) < len(vec) else (vec, query)
                score = weight * sum(v * large.get(g, 0.0) for g, v in small.items())
                if score > best.get(intent_id, 0.0):
                    best[intent_id] = score
        return best


class IntentMatcher:
    def __init__(self, pack: ContentPack, threshold: float | None = None,
                 lexicon: Lexicon | None = None, semantic: SemanticIndex | None = None):
        self.pack = pack
        self.semantic = semantic
        self.thresholds = ({lang: threshold for lang in pack.languages} if threshold is not None
                           else {lang: DEFAULT_THRESHOLDS.get(lang, 0.5) for lang in pack.languages})
        self.lexicon = lexicon or Lexicon.built_in(pack.synonyms)
        self._indexes = {
            lang: _LanguageIndex([(intent.id, self.features(q, lang))
                                  for intent in pack.intents for q in intent.questions.get(lang, ())])
            for lang in pack.languages
        }

    def features(self, text: str, lang: str) -> Counter[str]:
        return features(text, lang, self.lexicon.tag(text, lang))

    def knows_every_word(self, text: str, lang: str) -> bool:
        """True when each word (en) or character (zh) of `text` appears in the pack's examples:
        "where is it?" is vague, "tell me a joke" is about something else."""
        index = self._indexes.get(lang)
        if index is None:
            return False
        grams = features(text, lang)
        content = [g for g, weight in grams.items() if weight >= 1.0 and (
            g.startswith("w:") if lang != "zh" else (g.startswith("c:") and len(g) == 3))]
        return all(g in index.idf for g in content)

    def ranked(self, text: str, lang: str) -> list[tuple[str, float]]:
        index = self._indexes.get(lang)
        if index is None or not text.strip():
            return []
        return sorted(((i, min(1.0, s)) for i, s in index.scores(self.features(text, lang)).items()),
                      key=lambda kv: -kv[1])

    def match(self, text: str, lang: str) -> Match:
        ranked = self.ranked(text, lang)   # once: the hybrid reads the same lexical scores
        lexical = self._lexical(ranked, lang)
        return lexical if self.semantic is None else self._hybrid(text, lexical, ranked)

    def _hybrid(self, text: str, lexical: Match, ranked: list[tuple[str, float]]) -> Match:
        scores = self.semantic.scores(text)
        if scores is None:
            return lexical
        lex = dict(ranked)
        d = decide(self.semantic.intents, scores.by_intent, [lex.get(i, 0.0) for i in self.semantic.intents],
                   scores.off_topic, scores.by_answer)
        if d.intent is None:
            return Match(None, d.confidence, lexical.lang, d.runner_up)
        return Match(d.intent, d.confidence, lexical.lang, d.runner_up if d.close_call else None,
                     d.confidence if d.close_call else 0.0, close_call=d.close_call)

    def _lexical(self, ranked: list[tuple[str, float]], lang: str) -> Match:
        if not ranked:
            return Match(None, 0.0, lang)
        (best, score), runner = ranked[0], (ranked[1] if len(ranked) > 1 else (None, 0.0))
        return Match(best if score >= self.thresholds.get(lang, 0.5) else None, round(score, 4), lang,
                     runner[0], round(runner[1], 4))
