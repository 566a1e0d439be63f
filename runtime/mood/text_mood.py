"""The mood in a turn's words: mood words first (runtime/mood/words.py), else a softmax over the
turn's sentence embedding fitted on the exemplars' mood labels (the dev red-team turns), else neutral.

The embedding is the safety detector's own (`embed`: its cached `embedding`), so a turn is embedded
once for both. Without an embedder, the words alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from runtime.safety.exemplars import MOODS, Exemplar
from runtime.safety.linear import fit_softmax

from .labels import Mood
from .words import mood_words

L2 = 0.05   # chosen on the dev set by 10-fold cross-validation (docs/safety.md, "Mood")


class TextMood:
    def __init__(self, embed: Callable[[str], np.ndarray] | None = None, exemplars: Sequence[Exemplar] = (),
                 vectors: np.ndarray | None = None):
        self.embed = embed
        self.model = (fit_softmax(vectors, [e.mood for e in exemplars], MOODS, L2)
                      if embed is not None and vectors is not None and len(exemplars) else None)
        self.name = "mood words + scorer" if self.model is not None else "mood words"

    def read(self, text: str) -> tuple[Mood, str]:
        """(mood, why): the words that decided it, or the scorer's probability."""
        words = mood_words(text)
        if words is not None:
            return words[0], f"words {words[1]!r}"
        if self.model is None or not text.strip():
            return Mood.NEUTRAL, "no mood words"
        p = self.model.proba(self.embed(text))[0]
        best = int(p.argmax())
        return Mood(MOODS[best]), f"scorer {p[best]:.2f}"
