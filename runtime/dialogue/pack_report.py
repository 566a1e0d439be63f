"""What a venue editor should fix in a pack: weak intents, confused pairs, words no question uses. Pure.

From the left-out runs of `pack_examples.run_pack_examples`:
- a weak intent: some of its examples, each left out, land elsewhere (another intent, the fallback, or a
  clarifying question); the suggestion names where they went and asks for more ways of saying it;
- a confused pair: examples of one land on the other (either way) or make the kiosk ask between them;
  the suggestion is to merge them when one answer serves both, else to add the words that tell them apart;
- an unknown word: a word only one intent's answer uses and no example question of the pack contains
  (visitors who read a sign or heard the answer ask with it; the lexical matcher cannot meet it; zh words
  by jieba, common ones dropped by jieba's IDF table): add an example with it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .content_pack import ContentPack
from .pack_examples import ExampleResult
from .text_features import normalise, stem

WEAK_SHARE = 0.25        # an intent is weak when at least this share of its examples miss ...
WEAK_MIN = 2             # ... and at least this many
UNKNOWN_PER_INTENT = 3   # unknown words listed per intent and language, longest first
ZH_RARE_IDF = 7.0        # a zh word counts when jieba's IDF table rates it at least this rare (没有 3.1, 行李 7.6)
_EN_STOP = frozenset(
    "the and for you your our are was were with from that this there their they them then than have has "
    "had not but can will would could should please also only just very more most any all each every "
    "into onto over under about after before between when where what which who how its it's one two "
    "three four five six seven eight nine ten here near next floor floors open close closed daily hours "
    "minutes free yes sorry ask staff".split())


@dataclass(frozen=True)
class WeakIntent:
    intent: str
    missed: int
    total: int
    landed: tuple[tuple[str, int], ...]   # where its examples went: intent id, "fallback" or "clarify"
    suggestion: str


@dataclass(frozen=True)
class ConfusedPair:
    a: str
    b: str
    examples: int
    suggestion: str


@dataclass(frozen=True)
class UnknownWord:
    lang: str
    intent: str
    word: str
    suggestion: str


@dataclass(frozen=True)
class PackReport:
    weak: tuple[WeakIntent, ...]
    confused: tuple[ConfusedPair, ...]
    unknown: tuple[UnknownWord, ...]


def _where(r: ExampleResult) -> str:
    if r.other is not None:
        return "clarify"
    return r.got or "fallback"


def pack_report(pack: ContentPack, results: list[ExampleResult]) -> PackReport:
    return PackReport(weak_intents(results), confused_pairs(results), unknown_words(pack))


def weak_intents(results: list[ExampleResult]) -> tuple[WeakIntent, ...]:
    by_intent: dict[str, list[ExampleResult]] = {}
    for r in results:
        by_intent.setdefault(r.expected, []).append(r)
    weak = []
    for intent, rs in by_intent.items():
        missed = [r for r in rs if not r.ok]
        if len(missed) >= WEAK_MIN and len(missed) >= WEAK_SHARE * len(rs):
            landed = tuple(Counter(_where(r) for r in missed).most_common())
            went = ", ".join(f"{n} to {w}" for w, n in landed)
            weak.append(WeakIntent(intent, len(missed), len(rs), landed,
                                   f"add 2-3 example questions to {intent} in the words visitors use "
                                   f"(short, indirect, other words than its answer); its misses went: {went}"))
    return tuple(sorted(weak, key=lambda w: (-w.missed / w.total, w.intent)))


def confused_pairs(results: list[ExampleResult]) -> tuple[ConfusedPair, ...]:
    pairs: Counter[tuple[str, str]] = Counter()
    for r in results:
        if r.ok:
            continue
        other = r.got if r.got not in (None, r.expected) else (r.other if r.other != r.expected else None)
        if other is not None:
            pairs[tuple(sorted((r.expected, other)))] += 1
    return tuple(ConfusedPair(a, b, n, f"merge {a} and {b} if one answer serves both; else add examples "
                                       f"to each with the words that tell them apart")
                 for (a, b), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])) if n >= 2)


def unknown_words(pack: ContentPack) -> tuple[UnknownWord, ...]:
    asked = {lang: set() for lang in pack.languages}
    for intent in pack.intents:
        for lang, questions in intent.questions.items():
            for q in questions:
                asked.setdefault(lang, set()).update(key for key, _ in _words(q, lang))
    answered_in: Counter[tuple[str, str]] = Counter()   # (lang, word) -> intents whose answer uses it
    for intent in pack.intents:
        for lang, answer in intent.answers.items():
            answered_in.update((lang, key) for key in {k for k, _ in _words(answer, lang)})
    out = []
    for intent in pack.intents:
        for lang, answer in intent.answers.items():
            # a word of this answer only (not the venue's name or "floor"), asked in no example question
            new = {key: word for key, word in reversed(_words(answer, lang))
                   if key not in asked.get(lang, set()) and answered_in[(lang, key)] == 1}
            for word in sorted(new.values(), key=lambda w: -len(w))[:UNKNOWN_PER_INTENT]:
                out.append(UnknownWord(lang, intent.id, word,
                                       f"add an example question to {intent.id} that uses “{word}”"))
    return tuple(out)


def _words(text: str, lang: str) -> list[tuple[str, str]]:
    """(what is compared, what is shown) per content word: zh jieba words of 2+ Han, en stems of 4+ letters."""
    text = normalise(re.sub(r"\[[a-z_]+\]|\{[a-z_]+\}", " ", text))   # cues and placeholders are not words
    if lang == "zh":
        import jieba
        import jieba.analyse
        idf = jieba.analyse.default_tfidf.idf_freq
        return [(w, w) for w in jieba.lcut(text, HMM=False)
                if len(w) >= 2 and all("\u4e00" <= ch <= "\u9fff" for ch in w) and idf.get(w, 99.0) >= ZH_RARE_IDF]
    return [(stem(w), w) for w in text.split()
            if len(w) >= 4 and w.isalpha() and w not in _EN_STOP and stem(w) not in _EN_STOP]
