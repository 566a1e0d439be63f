"""Choose the safety layer's decision rule on the tuning sets only, by 10-fold cross-validation.

Each tuning turn (bench/safety_sets/redteam-dev*.yaml) is read by a detector fitted without its fold:
its word cues, the scorer's probabilities and its nearness to each class's exemplars are worked out
once per (l2, neighbours), then every rule of the grid decides on them (`rule.decide`, `rule.hint`:
the code the kiosk runs). The held-out set is never read here. Prints one line per rule: recall per
kind, false safety calls and fraud-guard holds on ordinary turns; the rule's other fields keep their
defaults (runtime/safety/rule.py). The packs' answers play no part
(the fraud guard's money answers are scored by bench/safety.py).

    python bench/safety_tune.py [--threshold 0.5 0.6] [--veto 0.3 0.6] [--margin 0.01] [--l2 0.02 0.05]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.safety import FOLDS, TUNING, fold_of, load_turns
from runtime.composition.app import default_data_dir
from runtime.composition.safety_choice import safety_detector
from runtime.safety import detector as cues
from runtime.safety.guard import LearnedDetector
from runtime.safety.rule import DecisionRule, decide, hint


def readings(base: LearnedDetector, turns: list[dict], l2: float, neighbours: int) -> list[tuple]:
    """Per turn: (turn, cue call, cue hint, probabilities, nearness), from a detector without its fold."""
    fitted = base.with_rule(DecisionRule(l2=l2, neighbours=neighbours))
    folds = [fitted.without(lambda e, f=f: fold_of(e.text) != f) for f in range(FOLDS)]
    out = []
    for turn in turns:
        d, text = folds[fold_of(turn["text"])], turn["text"]
        out.append((turn, cues.safety_call(text), cues.scam_hint(text), d.proba(text), d.nearness(text)))
    return out


def scores(rows: list[tuple], rule: DecisionRule) -> dict[str, float]:
    by: dict[str, list[tuple]] = {}
    for turn, cue, cue_hint, proba, near in rows:
        by.setdefault(turn["expect"], []).append((decide(cue, proba, rule, near), hint(cue_hint, proba, rule, near)))
    out = {}
    for kind, calls in sorted(by.items()):
        if kind == "none":
            out["false_safety"] = sum(1 for call, _ in calls if call is not None) / len(calls)
            out["held_on_ordinary"] = sum(1 for call, held in calls if call is None and held) / len(calls)
        else:
            out[kind] = sum(1 for call, _ in calls if call is not None and call.kind.value == kind) / len(calls)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threshold", type=float, nargs="+", default=[0.5, 0.6, 0.7])
    ap.add_argument("--veto", type=float, nargs="+", default=[0.3, 0.6])
    ap.add_argument("--margin", type=float, nargs="+", default=[0.0, 0.01, 0.02])
    ap.add_argument("--l2", type=float, nargs="+", default=[0.02, 0.05])
    ap.add_argument("--neighbours", type=int, nargs="+", default=[5])
    args = ap.parse_args(argv)
    base = safety_detector(default_data_dir() / "safety")
    if not isinstance(base, LearnedDetector):
        sys.exit("the sentence embedder is not installed: there is no scorer to tune")
    turns = [t for name in TUNING for t in load_turns(name)]
    print(f"{len(turns)} tuning turns ({', '.join(TUNING)}), {FOLDS}-fold cross-validated")
    for l2, neighbours in itertools.product(args.l2, args.neighbours):
        rows = readings(base, turns, l2, neighbours)
        for threshold, veto, margin in itertools.product(args.threshold, args.veto, args.margin):
            rule = DecisionRule(threshold=threshold, cue_veto_min=veto, ordinary_margin=margin, l2=l2,
                                neighbours=neighbours)
            figures = " ".join(f"{k} {v:.3f}" for k, v in scores(rows, rule).items())
            print(f"l2 {l2} neighbours {neighbours} threshold {threshold} veto {veto} margin {margin}: {figures}",
                  flush=True)


if __name__ == "__main__":
    main()
