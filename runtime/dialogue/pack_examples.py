"""`content test`: the pack's own example questions, each matched with itself left out.

An example that lands on another intent (or the fallback, or a clarifying question) when it is not in
the index is one a visitor's paraphrase would likely miss too: the venue editor sees it
(`pack_report.py` turns these into weak intents and confused pairs). With an embedder the matcher is the
kiosk's hybrid one; the pack's examples are embedded once (in memory) for all the left-out runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .content_pack import ContentPack, Intent
from .embedding import Embedder
from .matcher import IntentMatcher
from .matcher_choice import CachedEmbedder
from .semantic import SemanticIndex


@dataclass(frozen=True)
class ExampleResult:
    lang: str
    question: str
    expected: str
    got: str | None
    confidence: float
    other: str | None = None     # a close call: the second intent the kiosk would offer

    @property
    def ok(self) -> bool:
        return self.got == self.expected and self.other is None


def run_pack_examples(pack: ContentPack, embedder: Embedder | None = None) -> list[ExampleResult]:
    memo = CachedEmbedder(embedder, None) if embedder is not None else None
    results = []
    for intent in pack.intents:
        for lang, questions in intent.questions.items():
            for i, question in enumerate(questions):
                others = questions[:i] + questions[i + 1:]
                held_out = _with_questions(pack, intent, lang, others)
                semantic = SemanticIndex(held_out, memo) if memo is not None else None
                match = IntentMatcher(held_out, semantic=semantic).match(question, lang)
                results.append(ExampleResult(lang, question, intent.id, match.intent_id, match.confidence,
                                             match.runner_up if match.close_call else None))
    return results


def _with_questions(pack: ContentPack, intent: Intent, lang: str, questions: tuple[str, ...]) -> ContentPack:
    changed = replace(intent, questions={**intent.questions, lang: questions})
    return replace(pack, intents=tuple(changed if i.id == intent.id else i for i in pack.intents))
