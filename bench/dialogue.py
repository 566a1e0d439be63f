"""Intent matching on question sets it was not built from: paraphrases and out-of-domain questions.

    python bench/dialogue.py [--set bench/dialogue_sets/mall-heldout.yaml] [--content DIR]
                             [--show-misses] [--json OUT]

Prints the in-domain rate (the right intent) and the out-of-domain rate (the
fallback), per language and overall, plus the pack's own examples left out one
at a time. Targets (issue 5): in-domain >= 90 %, out-of-domain >= 80 %.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import machine, print_table, write_json  # noqa: E402
from runtime.dialogue.content_pack import load_content_pack  # noqa: E402
from runtime.dialogue.lexicon import Lexicon  # noqa: E402
from runtime.dialogue.matcher import IntentMatcher  # noqa: E402
from runtime.dialogue.pack_examples import run_pack_examples  # noqa: E402
from runtime.dialogue.question_set import LabelledQuestion, load_question_set, score  # noqa: E402
from runtime.dialogue.text_features import syllable, syllable_groups  # noqa: E402

SLIP_RATE = 0.2  # share of Han characters a simulated Mandarin recogniser replaces by a homophone


def _common_homophones() -> dict[str, list[str]]:
    """Toneless syllable -> the 3 755 most common characters (GB2312 level 1) that have it."""
    return {sound: list(common) for sound, (common, _) in syllable_groups().items()}


def with_homophone_slips(items: list[LabelledQuestion], rate: float, seed: int = 7) -> list[LabelledQuestion]:
    """The Mandarin questions as a recogniser that confuses homophones would write them."""
    rng, sounds, out = random.Random(seed), _common_homophones(), []
    for item in items:
        chars = []
        for ch in item.text:
            sound = syllable(ch)
            if sound != ch and rng.random() < rate:
                others = [c for c in sounds.get(sound, []) if c != ch]
                ch = rng.choice(others) if others else ch
            chars.append(ch)
        out.append(LabelledQuestion(item.lang, "".join(chars), item.intent))
    return out

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
    slips = with_homophone_slips([i for i in items if i.lang == "zh"], SLIP_RATE)
    by_sound = score(slips, lambda text, lang: matcher.match(text, lang).intent_id)
    deaf = IntentMatcher(pack, lexicon=Lexicon.built_in(pack.synonyms, by_sound=False))
    by_chars = score(slips, lambda text, lang: deaf.match(text, lang).intent_id)
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
             (f"zh with {SLIP_RATE:.0%} homophone slips: in-domain right",
              f"{by_sound.in_domain_rate:.1%} (concepts by characters only: {by_chars.in_domain_rate:.1%})"),
             (f"zh with {SLIP_RATE:.0%} homophone slips: out-of-domain to fallback",
              f"{by_sound.out_of_domain_rate:.1%} (by characters only: {by_chars.out_of_domain_rate:.1%})"),
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
            "zh_homophone_slips": {"rate": SLIP_RATE, "in_domain_rate": round(by_sound.in_domain_rate, 4),
                                   "out_of_domain_rate": round(by_sound.out_of_domain_rate, 4),
                                   "in_domain_rate_without_sound": round(by_chars.in_domain_rate, 4)},
            "ms_per_question": round(per_query_ms, 3)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
