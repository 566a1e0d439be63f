"""Coverage of a draft: its own examples left out (`content test`), the editor's test questions, the
weak intents and the words the matcher does not know. Pure.

- left-out: `run_pack_examples`, the code of `edge-avatar content test`;
- test questions: (question, lang, expected intent) the editor keeps with the draft, each matched by
  the kiosk's matcher; a miss offers "add as example";
- weak intents: an intent with a left-out example that lands elsewhere, or with fewer than
  MIN_EXAMPLES examples in a language, or whose examples are matched with a mean confidence under
  WEAK_CONFIDENCE;
- unknown words: words (en) or characters (zh) of a missed test question that no example of the pack
  holds — `IntentMatcher.knows_every_word`, asked of each word.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from statistics import mean
from typing import Any

from runtime.dialogue.content_pack import ContentPack
from runtime.dialogue.matcher import IntentMatcher
from runtime.dialogue.pack_examples import run_pack_examples
from runtime.dialogue.text_features import normalise, word_tokens

MIN_EXAMPLES = 3
WEAK_CONFIDENCE = 0.6


@dataclass(frozen=True)
class EditorQuestion:
    question: str
    lang: str
    expected: str | None     # None: the editor expects the fallback


@dataclass(frozen=True)
class QuestionResult:
    question: str
    lang: str
    expected: str | None
    got: str | None
    confidence: float
    unknown_words: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.got == self.expected


@dataclass(frozen=True)
class WeakIntent:
    intent: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Coverage:
    left_out: tuple[QuestionResult, ...]
    tests: tuple[QuestionResult, ...]
    weak: tuple[WeakIntent, ...]
    unknown_words: dict[str, tuple[str, ...]] = field(default_factory=dict)   # lang -> words

    def as_json(self) -> dict[str, Any]:
        def rows(results):
            return [{**asdict(r), "ok": r.ok} for r in results]
        return {"left_out": rows(self.left_out), "tests": rows(self.tests),
                "left_out_ok": sum(r.ok for r in self.left_out), "tests_ok": sum(r.ok for r in self.tests),
                "weak": [asdict(w) for w in self.weak],
                "unknown_words": {k: list(v) for k, v in self.unknown_words.items()}}


def unknown_words(matcher: IntentMatcher, text: str, lang: str) -> tuple[str, ...]:
    """The words (en) or Han characters (zh) of `text` that no example of the pack holds."""
    tokens = normalise(text).split() if lang != "zh" else word_tokens(normalise(text), "zh")
    out = []
    for token in tokens:
        if token not in out and not matcher.knows_every_word(token, lang):
            out.append(token)
    return tuple(out)


def coverage(pack: ContentPack, tests: Iterable[EditorQuestion] = ()) -> Coverage:
    matcher = IntentMatcher(pack)
    left_out = tuple(QuestionResult(r.question, r.lang, r.expected, r.got, r.confidence)
                     for r in run_pack_examples(pack))
    results = []
    for t in tests:
        if t.lang not in pack.languages:
            continue
        m = matcher.match(t.question, t.lang)
        results.append(QuestionResult(t.question, t.lang, t.expected, m.intent_id, m.confidence,
                                      unknown_words(matcher, t.question, t.lang) if m.intent_id != t.expected
                                      else ()))
    weak = []
    for intent in pack.intents:
        reasons = []
        mine = [r for r in left_out if r.expected == intent.id]
        missed = [r for r in mine if not r.ok]
        if missed:
            reasons.append(f"{len(missed)} of {len(mine)} examples land elsewhere with themselves left out")
        for lang, questions in intent.questions.items():
            if len(questions) < MIN_EXAMPLES:
                reasons.append(f"only {len(questions)} {lang} example(s); {MIN_EXAMPLES} or more hold up better")
        if mine and mean(r.confidence for r in mine) < WEAK_CONFIDENCE:
            reasons.append(f"examples matched with mean confidence {mean(r.confidence for r in mine):.2f} "
                           f"(under {WEAK_CONFIDENCE})")
        if reasons:
            weak.append(WeakIntent(intent.id, tuple(reasons)))
    words: dict[str, list[str]] = {}
    for r in results:
        for w in r.unknown_words:
            if w not in words.setdefault(r.lang, []):
                words[r.lang].append(w)
    return Coverage(left_out, tuple(results), tuple(weak), {k: tuple(v) for k, v in words.items()})
