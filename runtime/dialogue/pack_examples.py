"""`content test`: the pack's own example questions, each matched with itself left out.

An example that lands on another intent (or the fallback) when it is not in the
index is one a visitor's paraphrase would likely miss too: the admin sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .content_pack import ContentPack, Intent
from .matcher import IntentMatcher


@dataclass(frozen=True)
class ExampleResult:
    lang: str
    question: str
    expected: str
    got: str | None
    confidence: float

    @property
    def ok(self) -> bool:
        return self.got == self.expected


def run_pack_examples(pack: ContentPack) -> list[ExampleResult]:
    results = []
    for intent in pack.intents:
        for lang, questions in intent.questions.items():
            for i, question in enumerate(questions):
                others = questions[:i] + questions[i + 1:]
                held_out = _with_questions(pack, intent, lang, others)
                match = IntentMatcher(held_out).match(question, lang)
                results.append(ExampleResult(lang, question, intent.id, match.intent_id, match.confidence))
    return results


def _with_questions(pack: ContentPack, intent: Intent, lang: str, questions: tuple[str, ...]) -> ContentPack:
    changed = replace(intent, questions={**intent.questions, lang: questions})
    return replace(pack, intents=tuple(changed if i.id == intent.id else i for i in pack.intents))
