"""The hybrid decision: lexical and embedding scores of every intent -> answer, ask which one, or fall back.

Pure. Inputs, per intent in one order: the embedding score (cosine of the closest example, any language),
the lexical score (TF-IDF cosine, 0-1); plus how close the question comes to questions no venue answers
(`off_topic`, the cosine of the closest line of lexicon/off_topic.yaml).

1. Rank by the fused score `semantic + LEXICAL_WEIGHT * lexical`: a word the pack uses breaks the ties
   of a multilingual model whose cosines bunch at 0.80-0.95.
2. Trust the top intent by a logistic score of five signals (`ACCEPT_WEIGHTS`): its cosine, its cosine
   lead over the best other intent, its lexical score, its fused lead over the second, and its cosine
   lead over the off-topic lines. Answer at `ACCEPT` or above.
3. Below it but not far (`CLARIFY_FROM`), with the second intent within `CLARIFY_LEAD` of the top:
   ask which of the two the visitor means. Else the fallback.

The weights were fitted (logistic regression, numpy; "right" = the top intent is the gold one) on the
1 219 questions tuning may look at: the dev and held-out sets of the tuned packs (mall-demo,
chenghu-garden, yongding-station) and the dev sets of the others; ACCEPT and CLARIFY_* were chosen on the
same questions, fitting on six packs and scoring the seventh in turn. The held-out sets of the never-tuned
packs only report (bench/venues.py, docs/matcher.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

LEXICAL_WEIGHT = 0.1
# logit = bias + sum(weight * signal); signals named as in `signals()`
ACCEPT_WEIGHTS = {"cosine": 6.236, "cosine_lead": 7.393, "lexical": 1.021, "fused_lead": 31.172,
                  "over_off_topic": 21.306}
ACCEPT_BIAS = -7.23
ACCEPT = 0.7          # trust the top intent at this probability of being right
CLARIFY_FROM = 0.5    # ask which one from here up to ACCEPT ...
CLARIFY_LEAD = 0.02   # ... when the second intent's fused score is this close


@dataclass(frozen=True)
class Decision:
    intent: str | None          # None: the fallback
    confidence: float           # the acceptance probability of the top intent
    runner_up: str | None
    close_call: bool            # ask which of intent and runner_up


def signals(semantic: Sequence[float], lexical: Sequence[float], off_topic: float, top: int) -> dict[str, float]:
    others = [s for i, s in enumerate(semantic) if i != top]
    fused = sorted((s + LEXICAL_WEIGHT * lx for s, lx in zip(semantic, lexical)), reverse=True)
    return {"cosine": semantic[top], "cosine_lead": semantic[top] - max(others, default=0.0),
            "lexical": lexical[top], "fused_lead": fused[0] - (fused[1] if len(fused) > 1 else 0.0),
            "over_off_topic": semantic[top] - off_topic}


def acceptance(signal: dict[str, float]) -> float:
    logit = ACCEPT_BIAS + sum(ACCEPT_WEIGHTS[k] * v for k, v in signal.items())
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))


def decide(intents: Sequence[str], semantic: Sequence[float], lexical: Sequence[float],
           off_topic: float) -> Decision:
    if not intents:
        return Decision(None, 0.0, None, False)
    fused = [s + LEXICAL_WEIGHT * lx for s, lx in zip(semantic, lexical)]
    order = sorted(range(len(intents)), key=lambda i: -fused[i])
    top = order[0]
    second = order[1] if len(order) > 1 else None
    p = acceptance(signals(semantic, lexical, off_topic, top))
    runner = intents[second] if second is not None else None
    if p >= ACCEPT:
        return Decision(intents[top], round(p, 4), runner, False)
    if second is not None and p >= CLARIFY_FROM and fused[top] - fused[second] < CLARIFY_LEAD:
        return Decision(intents[top], round(p, 4), runner, True)
    return Decision(None, round(p, 4), runner, False)
