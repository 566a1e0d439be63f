"""The hybrid decision: lexical and embedding scores of every intent -> answer, ask which one, or fall back.

Pure. Inputs, per intent in one order: the embedding score (cosine of the closest example, any language),
the lexical score (TF-IDF cosine, 0-1), the answer score (cosine of the intent's approved answer embedded
as an e5 passage; empty: none); plus how close the question comes to questions no venue answers
(`off_topic`, the cosine of the closest line of lexicon/off_topic.yaml).

1. Rank by the fused score `semantic + ANSWER_WEIGHT * answer + LEXICAL_WEIGHT * lexical`: a word the
   pack uses breaks the ties of a multilingual model whose cosines bunch at 0.80-0.95, and the answer
   names what the examples do not.
2. Trust the top intent by a logistic score of six signals (`ACCEPT_WEIGHTS`): its cosine, its cosine
   lead over the best other intent, its lexical score, its fused lead over the second, its cosine lead
   over the off-topic lines, and its answer's lead over the best other answer. Answer at `ACCEPT` or
   above.
3. From `CLARIFY_FROM` up (above `ACCEPT` too), with the second intent's fused score within `CLARIFY_LEAD`
   of the top: ask which of the two the visitor means (a near tie answered is a coin toss, and a wrong
   answer is worse than a question back). Else the fallback.

The weights were fitted (logistic regression, numpy; "right" = the top intent is the gold one) on the
1 219 questions tuning may look at: the dev and held-out sets of the tuned packs (mall-demo,
chenghu-garden, yongding-station) and the dev sets of the others; ANSWER_WEIGHT, ACCEPT and CLARIFY_*
were chosen on the same questions, fitting on six packs and scoring the seventh in turn (2026-12-06,
docs/matcher.md). The held-out sets of the never-tuned packs only report (bench/venues.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

LEXICAL_WEIGHT = 0.1
ANSWER_WEIGHT = 0.5
# logit = bias + sum(weight * signal); signals named as in `signals()`
ACCEPT_WEIGHTS = {"cosine": 9.536, "cosine_lead": -5.953, "lexical": 0.8, "fused_lead": 31.03,
                  "over_off_topic": 23.343, "answer_lead": 14.526}
ACCEPT_BIAS = -9.882
ACCEPT = 0.7          # trust the top intent at this probability of being right
CLARIFY_FROM = 0.55   # ask which one from here up ...
CLARIFY_LEAD = 0.01   # ... when the second intent's fused score is this close (above ACCEPT too)


@dataclass(frozen=True)
class Decision:
    intent: str | None          # None: the fallback
    confidence: float           # the acceptance probability of the top intent
    runner_up: str | None
    close_call: bool            # ask which of intent and runner_up


def fused_scores(semantic: Sequence[float], lexical: Sequence[float], answer: Sequence[float]) -> list[float]:
    answer = answer or [0.0] * len(semantic)
    return [s + ANSWER_WEIGHT * a + LEXICAL_WEIGHT * lx for s, lx, a in zip(semantic, lexical, answer)]


def _lead(values: Sequence[float], top: int) -> float:
    others = [v for i, v in enumerate(values) if i != top]
    return values[top] - max(others) if others else values[top]


def signals(semantic: Sequence[float], lexical: Sequence[float], off_topic: float, top: int,
            answer: Sequence[float] = ()) -> dict[str, float]:
    fused = sorted(fused_scores(semantic, lexical, answer), reverse=True)
    return {"cosine": semantic[top], "cosine_lead": _lead(semantic, top),
            "lexical": lexical[top], "fused_lead": fused[0] - (fused[1] if len(fused) > 1 else 0.0),
            "over_off_topic": semantic[top] - off_topic,
            "answer_lead": _lead(answer, top) if answer else 0.0}


def acceptance(signal: dict[str, float]) -> float:
    logit = ACCEPT_BIAS + sum(ACCEPT_WEIGHTS[k] * v for k, v in signal.items())
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))


def decide(intents: Sequence[str], semantic: Sequence[float], lexical: Sequence[float],
           off_topic: float, answer: Sequence[float] = ()) -> Decision:
    """`answer` empty: no answer embeddings (a stand-in index); the answer's weight and lead are then 0."""
    if not intents:
        return Decision(None, 0.0, None, False)
    if answer and len(answer) != len(intents):
        raise ValueError(f"answer: expected {len(intents)} scores (one per intent), got {len(answer)}")
    fused = fused_scores(semantic, lexical, answer)
    order = sorted(range(len(intents)), key=lambda i: -fused[i])
    top = order[0]
    second = order[1] if len(order) > 1 else None
    p = acceptance(signals(semantic, lexical, off_topic, top, answer))
    runner = intents[second] if second is not None else None
    if second is not None and p >= CLARIFY_FROM and fused[top] - fused[second] < CLARIFY_LEAD:
        return Decision(intents[top], round(p, 4), runner, True)   # a near tie: ask, even when trusted
    if p >= ACCEPT:
        return Decision(intents[top], round(p, 4), runner, False)
    return Decision(None, round(p, 4), runner, False)
