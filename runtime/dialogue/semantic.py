"""Meaning, not words: a pack's example questions and its answers as sentence embeddings, all languages pooled.

`SemanticIndex(pack, embedder).scores(text)` gives each intent
- `by_intent`: the cosine of its closest example question (a Mandarin question meets an English example
  too; measured against the closest-k mean in docs/matcher.md: the closest example won);
- `by_answer`: the cosine of its approved answer, either language, embedded as an e5 "passage:" (what
  the model was trained to retrieve for a "query:"), cues and placeholders removed: the answer names what
  the examples do not (the departments on each floor, what the lockers cost), so a visitor who asks
  about one of those meets the intent there;
and the cosine of the closest line of `lexicon/off_topic.yaml` (questions no venue answers). The scores
of a small multilingual model bunch (right answers ~0.95, out-of-domain questions ~0.87): `hybrid.decide`
weighs the leads, not levels.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from .answer_text import split_cues
from .content_pack import ContentPack
from .embedding import Embedder

OFF_TOPIC = Path(__file__).parent / "lexicon" / "off_topic.yaml"
_PLACEHOLDER = re.compile(r"\{[A-Za-z_]*\}")


@functools.lru_cache(maxsize=1)
def off_topic_lines() -> tuple[str, ...]:
    data = yaml.safe_load(OFF_TOPIC.read_text(encoding="utf-8"))
    return tuple(str(q) for lines in data.values() for q in lines)


def passage_embedder(embedder: Embedder) -> Embedder:
    """`embedder` with e5's "passage:" prefix when it has roles (`with_role`), else `embedder` itself (a
    test double without roles)."""
    with_role = getattr(embedder, "with_role", None)
    return with_role("passage") if with_role is not None else embedder


def answer_passage(text: str) -> str:
    """An approved answer as the model should read it: no [cues], no {placeholders}."""
    return " ".join(_PLACEHOLDER.sub(" ", split_cues(text)[0]).split())


@dataclass(frozen=True)
class SemanticScores:
    by_intent: tuple[float, ...]   # in the pack's intent order (SemanticIndex.intents)
    off_topic: float
    by_answer: tuple[float, ...] = ()   # same order; empty: no answer embeddings (then not used)


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
        answers, answer_owners = [], []
        for k, intent in enumerate(pack.intents):
            for text in intent.answers.values():
                if answer_passage(text):
                    answers.append(answer_passage(text))
                    answer_owners.append(k)
        self._answer_owner = np.array(answer_owners, dtype=np.int64)
        self._answers = passage_embedder(embedder).embed(answers) if answers else np.zeros((0, embedder.dim))
        self.scores = functools.lru_cache(maxsize=512)(self._scores)   # partials repeat while a turn settles

    def _scores(self, text: str) -> SemanticScores | None:
        if not text.strip() or not len(self._examples):
            return None
        query = self.embedder.embed([text])[0]
        best = np.full(len(self.intents), -1.0)
        np.maximum.at(best, self._owner, self._examples @ query)
        off = float(np.max(self._off_topic @ query)) if len(self._off_topic) else -1.0
        by_answer: tuple[float, ...] = ()
        if len(self._answers):
            answer = np.full(len(self.intents), -1.0)
            np.maximum.at(answer, self._answer_owner, self._answers @ query)
            by_answer = tuple(float(a) for a in answer)
        return SemanticScores(tuple(float(b) for b in best), off, by_answer)

    def ranked(self, text: str) -> tuple[tuple[str, float], ...]:
        scores = self.scores(text)
        if scores is None:
            return ()
        return tuple(sorted(zip(self.intents, scores.by_intent), key=lambda kv: -kv[1]))
