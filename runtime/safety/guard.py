"""The safety layer's detector, chosen once at start-up: cues alone, or cues with a learned scorer.

`SafetyDetector` is what the dialogue asks: `call(text)` (a safety answer is due, of which kind) and
`scam_hint(text)` (the fraud guard: hold back an answer that moves money). Two implementations:

- `CueDetector`: the word cues only (runtime/safety/cues.py). No model; the fallback when the
  sentence embedder is not installed, and the detector of pure unit tests.
- `LearnedDetector`: the cues, and a softmax scorer over multilingual sentence embeddings fitted on
  the exemplar turns (runtime/safety/exemplars.yaml), checked against the turn's nearest exemplars
  of each class, combined by `rule.decide`. The embedder comes
  in through the small `TextEmbedder` protocol (the composition root gives it the kiosk's e5 model),
  so this unit stays below the dialogue in the layers.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

import numpy as np

from . import detector
from .exemplars import KIND_CLASSES, Exemplar
from .kinds import SafetyCall
from .linear import LinearModel, fit_softmax
from .rule import DecisionRule, decide, hint

_CACHE = 512   # turns whose embedding is kept (a decided turn is asked again by the fraud guard)


@runtime_checkable
class TextEmbedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """float32 [len(texts), dim], rows L2-normalised."""
        ...


@runtime_checkable
class SafetyDetector(Protocol):
    name: str

    def call(self, text: str) -> SafetyCall | None: ...

    def scam_hint(self, text: str) -> bool: ...


class CueDetector:
    name = "cues"

    def call(self, text: str) -> SafetyCall | None:
        return detector.safety_call(text)

    def scam_hint(self, text: str) -> bool:
        return detector.scam_hint(text)


class LearnedDetector:
    """Cues + a scorer fitted on `exemplars` embedded by `embedder` (`vectors`: their embeddings, if
    already computed, e.g. from the start-up cache)."""

    def __init__(self, embedder: TextEmbedder, exemplars: Iterable[Exemplar], rule: DecisionRule | None = None,
                 vectors: np.ndarray | None = None):
        self.embedder, self.rule = embedder, rule or DecisionRule()
        self.exemplars = tuple(exemplars)
        self.vectors = vectors if vectors is not None else embedder.embed([e.text for e in self.exemplars])
        if len(self.vectors) != len(self.exemplars):
            raise ValueError(f"{len(self.vectors)} exemplar vectors for {len(self.exemplars)} exemplars")
        self.model = fit_softmax(self.vectors, [e.kind for e in self.exemplars], KIND_CLASSES, self.rule.l2)
        unit = self.vectors / np.maximum(np.linalg.norm(self.vectors, axis=1, keepdims=True), 1e-9)
        self._by_class = {k: unit[[e.kind == k for e in self.exemplars]] for k in KIND_CLASSES}
        self.name = f"cues + scorer ({len(self.exemplars)} exemplars, {embedder.name})"
        self._seen: OrderedDict[str, np.ndarray] = OrderedDict()

    def with_rule(self, rule: DecisionRule) -> LearnedDetector:
        """The same exemplars refitted under another rule (the bench's tuning), sharing the query cache."""
        twin = LearnedDetector(self.embedder, self.exemplars, rule, self.vectors)
        twin._seen = self._seen
        return twin

    def without(self, keep: Callable[[Exemplar], bool]) -> LearnedDetector:
        """The same detector fitted only on the exemplars `keep` accepts (cross-validation in the bench)."""
        mask = np.array([keep(e) for e in self.exemplars])
        chosen = [e for e, k in zip(self.exemplars, mask) if k]
        twin = LearnedDetector(self.embedder, chosen, self.rule, self.vectors[mask])
        twin._seen = self._seen   # same embedder: the query cache is shared
        return twin

    def embedding(self, text: str) -> np.ndarray:
        vec = self._seen.get(text)
        if vec is None:
            vec = self.embedder.embed([text])[0]
            self._seen[text] = vec
            if len(self._seen) > _CACHE:
                self._seen.popitem(last=False)
        return vec

    def proba(self, text: str, model: LinearModel | None = None) -> dict[str, float]:
        p = (model or self.model).proba(self.embedding(text))[0]
        return {k: float(v) for k, v in zip(KIND_CLASSES, p)}

    def nearness(self, text: str) -> dict[str, float]:
        """Per class, the mean cosine of the turn to its `rule.neighbours` nearest exemplars of that class."""
        vec = self.embedding(text)
        vec = vec / max(float(np.linalg.norm(vec)), 1e-9)
        out = {}
        for kind, rows in self._by_class.items():
            sims = np.sort(rows @ vec)[-self.rule.neighbours:] if len(rows) else np.array([-1.0])
            out[kind] = float(sims.mean())
        return out

    def call(self, text: str) -> SafetyCall | None:
        cue = detector.safety_call(text)
        if not text.strip():
            return cue
        return decide(cue, self.proba(text), self.rule, self.nearness(text))

    def scam_hint(self, text: str) -> bool:
        cue = detector.scam_hint(text)
        if not text.strip():
            return cue
        return hint(cue, self.proba(text), self.rule, self.nearness(text))
