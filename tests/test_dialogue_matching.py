"""Intent matching: venue concepts, stemming, unknown words, and the held-out accuracy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.lexicon import Lexicon
from runtime.dialogue.matcher import IntentMatcher
from runtime.dialogue.question_set import load_question_set, score
from runtime.dialogue.text_features import normalise, stem

REPO = Path(__file__).resolve().parents[1]
SETS = REPO / "bench" / "dialogue_sets"


def test_stemmer_joins_the_forms_a_visitor_uses():
    assert stem("toilets") == stem("toilet")
    assert stem("charging") == stem("charge") == stem("charges")
    assert stem("movies") == stem("movie")
    assert stem("shopping") == stem("shop")
    assert stem("where's") == stem("where")


def test_normalise_folds_full_width_and_punctuation():
    assert normalise("ＷｉＦｉ密码？") == "wifi密码"
    assert normalise("Where’s the LOO?!") == "where's the loo"


def test_lexicon_tags_longest_phrase_once():
    lexicon = Lexicon.built_in()
    assert lexicon.tag("我想借个充电宝", "zh").count("charging") == 1
    assert "baby_care" not in lexicon.tag("我想借个充电宝", "zh")  # 宝宝 is not inside 充电宝
    assert "restroom" in lexicon.tag("Where is the WC?", "en")
    assert "restroom" in lexicon.tag("请问厕所在哪", "zh")


def test_pack_synonyms_extend_the_built_in_lexicon():
    lexicon = Lexicon.built_in({"restroom": {"en": ["little boys room"]}, "dome": {"zh": ["球幕"]}})
    assert "restroom" in lexicon.tag("where is the little boys room", "en")
    assert "restroom" in lexicon.tag("where is the toilet", "en")
    assert "dome" in lexicon.tag("球幕影院", "zh")


def test_paraphrase_with_no_shared_word_meets_its_intent(mall_pack_dir):
    matcher = IntentMatcher(load_content_pack(mall_pack_dir))
    assert matcher.match("where's the loo", "en").intent_id == "restroom"
    assert matcher.match("I need a chemist", "en").intent_id == "pharmacy"
    assert matcher.match("哪儿能上网", "zh").intent_id == "wifi"


def test_words_the_pack_never_uses_lower_the_confidence(mall_pack_dir):
    matcher = IntentMatcher(load_content_pack(mall_pack_dir))
    assert matcher.match("what is the weather like tomorrow", "en").intent_id is None
    assert matcher.match("给我讲个笑话", "zh").intent_id is None


def test_held_out_paraphrases_and_out_of_domain_meet_the_targets(mall_pack_dir):
    matcher = IntentMatcher(load_content_pack(mall_pack_dir))
    result = score(load_question_set(SETS / "mall-heldout.yaml"),
                   lambda text, lang: matcher.match(text, lang).intent_id)
    assert result.in_domain >= 190 and result.out_of_domain >= 60
    assert result.in_domain_rate >= 0.90, result.misses
    assert result.out_of_domain_rate >= 0.80, result.misses


def test_dialogue_benchmark_prints_both_rates_and_writes_json(tmp_path, mall_pack_dir):
    out = tmp_path / "dialogue.json"
    done = subprocess.run([sys.executable, str(REPO / "bench" / "dialogue.py"), "--content", str(mall_pack_dir),
                           "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "all: in-domain right" in done.stdout and "all: out-of-domain to fallback" in done.stdout
    data = json.loads(out.read_text())
    assert data["in_domain_rate"] >= 0.9 and data["out_of_domain_rate"] >= 0.8


def test_mandarin_homophone_slips_and_digits_still_meet_the_intent(mall_pack_dir):
    matcher = IntentMatcher(load_content_pack(mall_pack_dir))
    assert matcher.match("测所在哪里", "zh").intent_id == "restroom"        # 测所: a recogniser's 厕所
    assert matcher.match("停车厂怎么收费", "zh").intent_id == "parking"     # 停车厂 for 停车场
    assert matcher.match("电影院在6楼吗", "zh").intent_id == "cinema"
    deaf = IntentMatcher(load_content_pack(mall_pack_dir),
                         lexicon=Lexicon.built_in(by_sound=False))
    assert deaf.match("测所在哪里", "zh").intent_id != "restroom"


def test_syllable_table_agrees_with_pypinyin():
    from pypinyin import Style, lazy_pinyin

    from runtime.dialogue.text_features import syllable, syllable_table
    table = syllable_table()
    assert len(table) == 6763
    for ch in "厕所停车场洗手间电影院超市药店服务台":
        assert syllable(ch) == lazy_pinyin(ch, style=Style.NORMAL)[0]
    assert syllable("WiFi") == "WiFi"
