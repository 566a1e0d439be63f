"""Intent matching on question sets it was not built from: paraphrases and out-of-domain questions.

    python bench/dialogue.py [--set bench/dialogue_sets/mall-heldout.yaml] [--content DIR]
                             [--show-misses] [--json OUT]

Prints the in-domain rate (the right intent) and the out-of-domain rate (the
fallback), per language and overall, plus the pack's own examples left out one
at a time. Targets (issue 5): in-domain >= 90 %, out-of-domain >= 80 %.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import machine, print_table, write_json  # noqa: E402
from runtime.dialogue.content_pack import load_content_pack  # noqa: E402
from runtime.dialogue.matcher import IntentMatcher  # noqa: E402
from runtime.dialogue.pack_examples import run_pack_examples  # noqa: E402
from runtime.dialogue.question_set import load_question_set, score  # noqa: E402

SETS = REPO / "bench" / "dialogue_sets"
MALL = REPO.parent / "shared" / "venues" / "mall-demo"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=SETS / "mall-heldout.yaml")
    parser.add_argument("--content", type=Path, default=MALL)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    pack = load_content_pack(args.content)
    matcher = IntentMatcher(pack)
    items = load_question_set(args.set)
    started = time.perf_counter()
    result = score(items, lambda text, lang: matcher.match(text, lang).intent_id)
    per_query_ms = (time.perf_counter() - started) * 1000 / max(1, len(items))
    by_lang = {lang: score([i for i in items if i.lang == lang],
                           lambda text, lang: matcher.match(text, lang).intent_id)
               for lang in sorted({i.lang for i in items})}
    examples = run_pack_examples(pack)
    rows = [("question set", f"{args.set.name} on {pack.venue_id}")]
    for lang, s in by_lang.items():
        rows.append((f"{lang}: in-domain right", f"{s.in_domain_right}/{s.in_domain} = {s.in_domain_rate:.1%}"))
        rows.append((f"{lang}: out-of-domain to fallback",
                     f"{s.out_of_domain_right}/{s.out_of_domain} = {s.out_of_domain_rate:.1%}"))
    rows += [("all: in-domain right (target >= 90 %)",
              f"{result.in_domain_right}/{result.in_domain} = {result.in_domain_rate:.1%}"),
             ("all: out-of-domain to fallback (target >= 80 %)",
              f"{result.out_of_domain_right}/{result.out_of_domain} = {result.out_of_domain_rate:.1%}"),
             ("pack examples, each left out", f"{sum(e.ok for e in examples)}/{len(examples)}"),
             ("time per question", f"{per_query_ms:.2f} ms"),
             ("machine", machine())]
    print_table("Intent matching", rows)
    if args.show_misses:
        for item, got in result.misses:
            print(f"  [{item.lang}] {item.text!r}: expected {item.intent or 'fallback'}, got {got or 'fallback'}")
    if args.json:
        write_json(args.json, {
            "set": args.set.name, "pack": pack.venue_id, "machine": machine(),
            "in_domain_rate": round(result.in_domain_rate, 4),
            "out_of_domain_rate": round(result.out_of_domain_rate, 4),
            "by_language": {lang: {"in_domain_rate": round(s.in_domain_rate, 4),
                                   "out_of_domain_rate": round(s.out_of_domain_rate, 4)}
                            for lang, s in by_lang.items()},
            "pack_examples_left_out": [sum(e.ok for e in examples), len(examples)],
            "ms_per_question": round(per_query_ms, 3)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
