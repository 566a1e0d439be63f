"""Content packs load as admins write them; `ask` answers from them in zh and en."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from runtime.composition.config import DEFAULT_CONTENT
from runtime.dialogue.content_pack import check_content_pack, load_content_pack
from runtime.dialogue.responder import Responder
from runtime.shared.errors import ContentError, LanguageError

CLI = [sys.executable, "-m", "runtime"]


def test_the_shared_mall_pack_loads_unchanged(mall_pack_dir):
    pack = load_content_pack(mall_pack_dir)
    assert pack.venue_id == "mall-demo"
    assert pack.languages == ("zh", "en") and pack.default_language == "zh"
    assert len(pack.intents) == 24
    assert pack.intent("parking").answers["en"].startswith("Parking is on basement levels two and three")


def test_the_bundled_default_pack_is_valid():
    assert check_content_pack(DEFAULT_CONTENT) == []


@pytest.mark.parametrize("question, lang, intent", [
    ("洗手间在哪里？", "zh", "restroom"),
    ("请问停车怎么收费", "zh", "parking"),
    ("电影院在几楼", "zh", "cinema"),
    ("Where can I park my car?", "en", "parking"),
    ("Is there free wifi here", "en", "wifi"),
    ("where can I buy some medicine", "en", "pharmacy"),
])
def test_questions_find_their_intent(mall_pack_dir, question, lang, intent):
    answer = Responder(load_content_pack(mall_pack_dir)).answer(question)
    assert (answer.intent, answer.lang) == (intent, lang)
    assert 0.0 < answer.confidence <= 1.0


def test_unknown_questions_get_the_fallback_in_their_language(mall_pack_dir):
    pack = load_content_pack(mall_pack_dir)
    responder = Responder(pack)
    en = responder.answer("What will the weather be like tomorrow?")
    zh = responder.answer("你会唱歌吗")
    assert en.intent is None and en.text == pack.fallback["en"]
    assert zh.intent is None and zh.text == pack.fallback["zh"]


def test_full_width_punctuation_and_digits_are_normalised(mall_pack_dir):
    responder = Responder(load_content_pack(mall_pack_dir))
    assert responder.answer("ＡＴＭ在哪里？", "zh").intent == "atm"


def test_ask_prints_one_json_object(mall_pack_dir):
    out = subprocess.run(CLI + ["ask", "--content", str(mall_pack_dir), "--json", "厕所在哪儿"],
                         capture_output=True, text=True, check=True)
    obj = json.loads(out.stdout)
    assert set(obj) >= {"intent", "answer", "confidence", "lang"}
    assert obj["intent"] == "restroom" and obj["lang"] == "zh"
    assert "扶梯东侧" in obj["answer"]


def test_ask_reads_json_lines_from_stdin(mall_pack_dir):
    questions = "How late are you open today\nwhere is the taxi stand\nTell me a joke\n"
    out = subprocess.run(CLI + ["ask", "--content", str(mall_pack_dir), "--lang", "en", "--json"],
                         input=questions, capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["intent"] for r in rows] == ["opening_hours", "metro_taxi", None]
    assert rows[2]["answer"].startswith("Sorry, I can't answer that yet")
    assert all(r["lang"] == "en" for r in rows)


def test_a_bad_field_is_named_with_file_and_line(tmp_path):
    (tmp_path / "faq.yaml").write_text(
        "venue: {id: x}\nlanguages: [en]\nfallback: {en: Sorry}\nintents:\n"
        "  - id: a\n    questions: {en: [Hi]}\n    answer: {en: ''}\n", encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_content_pack(tmp_path)
    assert f"{tmp_path / 'faq.yaml'}:7: intents[0].answer.en: expected a non-empty answer string" in str(err.value)


def test_a_pack_with_a_foreign_language_is_refused(tmp_path):
    (tmp_path / "faq.yaml").write_text(
        "venue: {id: x}\nlanguages: [en, fr]\nfallback: {en: Sorry}\nintents: []\n", encoding="utf-8")
    problems = check_content_pack(tmp_path)
    assert any("languages: expected a list of language codes" in p for p in problems)
    assert any("intents: expected a non-empty list" in p for p in problems)


def test_invalid_yaml_names_the_line(tmp_path):
    (tmp_path / "faq.yaml").write_text("venue: {id: x\nlanguages: [en]\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"faq.yaml:\d+: not valid YAML"):
        load_content_pack(tmp_path)


def test_ask_in_a_language_the_pack_lacks_fails_clearly(tmp_path):
    (tmp_path / "faq.yaml").write_text(
        "venue: {id: x}\nlanguages: [en]\nfallback: {en: Sorry}\nintents:\n"
        "  - id: a\n    questions: {en: [Hi]}\n    answer: {en: Hello}\n", encoding="utf-8")
    with pytest.raises(LanguageError, match="language 'zh'"):
        Responder(load_content_pack(tmp_path)).check_language("zh")
    out = subprocess.run(CLI + ["ask", "--content", str(tmp_path), "--lang", "zh", "--json", "你好"],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith("edge-avatar: error: language 'zh'")


def test_a_missing_section_is_reported_at_the_top_of_the_file(tmp_path):
    (tmp_path / "faq.yaml").write_text("venue: {id: broken}\nlanguages: [en]\n", encoding="utf-8")
    problems = check_content_pack(tmp_path)
    assert any(p.endswith(":1: fallback: expected a mapping of language to the answer given when "
                          "no intent matches") for p in problems)
