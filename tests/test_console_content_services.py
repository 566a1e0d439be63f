"""The Content area's services without Flask: the draft and its form, the checker at the field, Try it
with the kiosk's responder, coverage, the answer heard (real Piper) and seen (the kiosk's renderer), the
microphone path (real recogniser), and the signed bundle."""

from __future__ import annotations

import datetime as dt
import tarfile
from pathlib import Path

import pytest

from runtime.console.content.coverage import EditorQuestion, coverage, unknown_words
from runtime.console.content.draft_check import (
    WHOLE_PACK,
    check_draft,
    map_problems,
    nearest_field,
)
from runtime.console.content.draft_edits import YAML_FIELD, apply_field, check_text
from runtime.console.content.draft_model import (
    add_example,
    add_intent,
    get_at,
    parse_yaml,
    set_at,
)
from runtime.console.content.draft_pack import load_draft
from runtime.console.content.editor_form import field_value, sections
from runtime.console.content.templates import TEMPLATES, template_text
from runtime.console.content.try_it import try_question
from runtime.dialogue.matcher import IntentMatcher
from runtime.shared.errors import ContentError

NOW = dt.datetime(2026, 12, 8, 11, 0, tzinfo=dt.timezone.utc)   # a Tuesday


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_is_a_good_pack_and_its_form_gives_back_what_it_shows(template):
    """Nothing is lost: each field's own text put back through the form leaves the pack's data as it was
    (prompts, safety, follow-ups and other fields the form does not show are kept)."""
    text = template_text(template)
    assert check_text(text).problems == ()
    data = parse_yaml(text)
    for section in sections(data):
        for f in section.fields:
            again = parse_yaml(apply_field(text, f.path, f.text))
            assert again == data, f.path


def test_a_problem_lands_at_the_field_the_checker_names():
    data = parse_yaml(template_text("science-museum"))
    data = set_at(data, "venue.timezone", "Europe/Atlantis")
    data = set_at(data, "intents[1].answer.en", "[dance] Hello")
    data = set_at(data, "schedule.events[0].zh", None)
    data = set_at(data, "prompts.nonsense", {"en": "x"})
    fields = {f.path for s in sections(data) for f in s.fields}
    problems = {p.field: p for p in check_draft(data, fields)}
    assert problems["venue.timezone"].form_field == "venue.timezone"
    assert "IANA timezone" in problems["venue.timezone"].message
    assert problems["intents[1].answer.en"].form_field == "intents[1].answer.en"
    assert "[dance]" in problems["intents[1].answer.en"].message
    assert problems["schedule.events[0].zh"].form_field == "schedule.events"
    assert problems["prompts.nonsense"].form_field == WHOLE_PACK     # the form has no prompts box
    assert all(p.line > 1 for p in problems.values())


def test_an_answer_over_the_length_limit_is_a_checker_problem_at_its_field():
    text = apply_field(template_text("mall-demo"), "intents[0].answer.zh", "您好" * 101)
    (problem,) = check_text(text).problems
    assert problem.form_field == "intents[0].answer.zh" and "at most 200" in problem.message


def test_invalid_yaml_is_kept_and_named_with_its_line():
    checked = check_text("venue:\n  id: mall\nintents: [\n")
    assert checked.data is None
    (problem,) = checked.problems
    assert problem.form_field == YAML_FIELD and problem.line == 4 and "not valid YAML" in problem.message
    with pytest.raises(ContentError, match=r"upload.yaml:2: not valid YAML"):
        parse_yaml("a: 1\n b: [\n", "upload.yaml")


def test_checker_lines_are_read_back_and_walk_up_to_the_nearest_form_field():
    lines = ["/tmp/x/faq.yaml:12: intents[3].questions.en: expected a non-empty list of question strings",
             "/tmp/x/faq.yaml: not UTF-8 text (invalid start byte at byte 3)"]
    a, b = map_problems(lines, {"intents[3].questions.en"})
    assert (a.field, a.form_field, a.line) == ("intents[3].questions.en", "intents[3].questions.en", 12)
    assert b.form_field == WHOLE_PACK and "UTF-8" in b.message
    assert nearest_field("schedule.events[2].from", {"schedule.events"}) == "schedule.events"
    assert nearest_field("intents[3].answer_when.closed.en", {"intents[3].id"}) == WHOLE_PACK


def test_form_text_never_drops_what_was_typed():
    assert field_value("pairs", "mon-fri: 10:00-22:00\nsun closed") == {"mon-fri": "10:00-22:00", "sun closed": None}
    assert field_value("events", "2026-12-24 | 2026-12-26 | 圣诞集市 | Christmas market", ["zh", "en"]) == [
        {"from": dt.date(2026, 12, 24), "to": dt.date(2026, 12, 26), "zh": "圣诞集市", "en": "Christmas market"}]
    assert field_value("synonyms", "film | en: movie, film | zh: 电影，影片") == {
        "film": {"en": ["movie", "film"], "zh": ["电影", "影片"]}}
    assert field_value("answer", "one\n\ntwo") == ["one", "two"] and field_value("answer", " one ") == "one"


def test_edits_of_the_model():
    data = parse_yaml(template_text("mall-demo"))
    grown = add_example(data, "cinema", "en", "where are the movies")
    assert get_at(grown, "intents[9].questions.en")[-1] == "where are the movies"
    assert add_example(grown, "cinema", "en", "where are the movies") == grown        # once
    assert get_at(data, "intents[9].questions.en")[-1] != "where are the movies"       # a copy
    with pytest.raises(ContentError, match="already used"):
        add_intent(data, "cinema")
    added = add_intent(data, "gift_wrap")
    new = len(added["intents"]) - 1
    assert added["intents"][new]["id"] == "gift_wrap"
    problems = {p.field for p in check_draft(added)}
    assert {f"intents[{new}].questions.zh", f"intents[{new}].answer.en"} <= problems


def test_try_it_uses_the_kiosk_responder_on_the_edited_draft():
    text = apply_field(template_text("mall-demo"), "intents[9].answer.en", "[smile] The cinema is now on 7F.")
    result = try_question(load_draft(parse_yaml(text)), "where can I see a movie", None, NOW)
    assert (result.intent, result.lang, result.answer) == ("cinema", "en", "The cinema is now on 7F.")
    assert [c.name for c in result.cues] == ["smile"] and result.confidence >= 0.5
    zh = try_question(load_draft(parse_yaml(text)), "电影院在几楼", None, NOW)
    assert zh.intent == "cinema" and zh.lang == "zh"
    with pytest.raises(ContentError, match="question"):
        try_question(load_draft(parse_yaml(text)), "  ", None, NOW)


def test_coverage_left_out_tests_weak_intents_and_unknown_words():
    pack = load_draft(parse_yaml(template_text("mall-demo")))
    cov = coverage(pack, [EditorQuestion("is there a kite shop", "en", "supermarket"),
                          EditorQuestion("where is the cinema", "en", "cinema")])
    assert len(cov.left_out) == sum(len(q) for i in pack.intents for q in i.questions.values())
    missed, hit = cov.tests
    assert hit.ok and not missed.ok and "kite" in missed.unknown_words
    assert "kite" in cov.unknown_words["en"]
    assert {w.intent for w in cov.weak} >= {r.expected for r in cov.left_out if not r.ok}
    assert unknown_words(IntentMatcher(pack), "哪里有风筝", "zh") == ("风", "筝")


def test_the_answer_is_heard_in_the_kiosk_voice_and_seen_from_the_kiosk_renderer():
    from runtime.console.content.answer_preview import FPS, preview_answer
    from runtime.console.content.answer_voices import KioskVoices
    from runtime.dialogue.answer_text import split_cues
    from runtime.rights.file_labels import FileLabeller
    from runtime.rights.labels import png_label, wav_label
    text, cues = split_cues("[wave] The cinema is on the sixth floor.")
    voice = KioskVoices().voice("en")
    assert voice.name == "piper"          # what `edge-avatar run` speaks English with here
    preview = preview_answer(voice, text, cues, FileLabeller())
    assert preview.wav[:4] == b"RIFF" and wav_label(preview.wav) is not None
    assert 1.0 < preview.seconds < 6.0
    assert len(preview.frames) >= int(preview.seconds * FPS)
    assert all(png_label(f.png) is not None for f in preview.frames)
    speaking = [f.viseme for f in preview.frames if f.t_ms < preview.seconds * 1000]
    assert len(set(speaking)) >= 4 and preview.frames[-1].viseme == "sil"     # the mouth moves, then closes


def test_a_spoken_question_goes_through_the_kiosk_listening_path():
    from runtime.composition.config import DEFAULT_CONTENT
    from runtime.console.content.hearing import KioskHearing
    from runtime.shared.errors import AudioInputError
    pack = load_draft(parse_yaml(template_text("science-museum")))
    wav = (Path(DEFAULT_CONTENT) / "demo_question.wav").read_bytes()
    heard = KioskHearing().transcribe(wav, "en", pack)
    assert "museum open" in heard.lower()
    assert try_question(pack, heard, "en", NOW).intent == "opening_hours"
    with pytest.raises(AudioInputError, match="audio: expected a WAV"):
        KioskHearing().transcribe(b"OggS....", "en", pack)


def test_signed_bundle_from_a_draft_verifies_and_keeps_no_key(tmp_path):
    from fleet.bundle_keys import TrustedKeys, generate_keypair, load_public_key
    from fleet.bundle_verifier import BundleVerifier
    from runtime.console.content.bundle_flow import build_content_bundle
    key, pub = generate_keypair(tmp_path / "admin")
    data = parse_yaml(apply_field(template_text("mall-demo"), "intents[9].answer.en", "Cinema: 7F."))
    built = build_content_bundle(data, "1.2.0", key.read_bytes(), tmp_path / "out", "Mall Co.", "proprietary")
    manifest = BundleVerifier(TrustedKeys([load_public_key(pub)])).verify(built.path, dt.datetime.now(dt.timezone.utc))
    assert (manifest.kind, manifest.version) == ("content", "1.2.0")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [built.path.name]
    with tarfile.open(built.path) as tar:
        names = tar.getnames()
        faq = tar.extractfile("payload/faq.yaml").read().decode()
    assert "payload/rights.yaml" in names and "payload/rights.sig" in names and "Cinema: 7F." in faq
    assert not any("key" in n for n in names)
    with pytest.raises(ContentError, match="^version"):
        build_content_bundle(data, "v2", key.read_bytes(), tmp_path / "out", "Mall Co.", "proprietary")
    with pytest.raises(ContentError, match="^rights.owner"):
        build_content_bundle(data, "1.2.1", key.read_bytes(), tmp_path / "out", " ", "proprietary")
    bad = set_at(data, "venue.timezone", "Nowhere/Else")
    with pytest.raises(ContentError, match="venue.timezone"):
        build_content_bundle(bad, "1.2.1", key.read_bytes(), tmp_path / "out", "Mall Co.", "proprietary")
