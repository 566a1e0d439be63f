"""The Mandarin front end's dictionaries as mapped tables: the same value for every key, so the same words,
tags and readings (and Kokoro phonemes) as jieba's and pypinyin's own dicts; made once by a child; a
clear way back when they cannot be made."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

jieba = pytest.importorskip("jieba")
pypinyin = pytest.importorskip("pypinyin")
pytest.importorskip("misaki")
import jieba.posseg  # noqa: E402
from pypinyin import Style, lazy_pinyin  # noqa: E402

from runtime.shared.mapped_table import MappedTable  # noqa: E402
from runtime.tts import zh_word_table  # noqa: E402
from runtime.tts.zh_word_table import JIEBA, PYPINYIN, jieba_views, phrases_view, word_table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SENTENCES = ["请问洗手间在哪里？洗手间在三楼电梯旁边。",
             "银行的营业时间是上午九点到下午五点。",
             "有人打电话让您把钱转到安全账户，这是诈骗，请拨打九六一一零。",
             "导览员会为您讲解展品，行李可以寄存在服务台。",
             "不要着急，一会儿就到了。",
             "深圳湾公园和颐和园都很好玩，长城在北京的北边"]


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, Path]:
    cache = tmp_path_factory.mktemp("voices")
    made = {}
    for kind in ("jieba-words", "pypinyin-phrases"):
        path, how = word_table(kind, cache)
        assert path is not None and how == "made now", how
        assert word_table(kind, cache) == (path, "cached")
        made[kind] = path
    return made


def test_every_jieba_key_has_jiebas_own_value(tables):
    table = MappedTable(tables["jieba-words"], JIEBA)
    frequencies, tags = jieba_views(table)
    own_frequencies, total = jieba.Tokenizer.gen_pfdict(jieba.Tokenizer().get_dict_file())
    own_tags = jieba.posseg.POSTokenizer(jieba.Tokenizer()).word_tag_tab
    assert table.meta["total"] == total and len(table) == len(own_frequencies) == 498113
    assert all(frequencies.get(word) == freq for word, freq in own_frequencies.items())
    assert all(tags.get(word) == tag for word, tag in own_tags.items())
    for missing in ("", "not-a-word", "洗手间在"):
        assert missing not in frequencies and tags.get(missing, "x") == "x"
    assert frequencies["洗手"] > 0 and tags["洗手间"] == "n"


def test_words_and_tags_cut_with_the_table_are_jiebas(tables):
    table = MappedTable(tables["jieba-words"], JIEBA)
    frequencies, tags = jieba_views(table)
    own = jieba.posseg.POSTokenizer(jieba.Tokenizer())
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = frequencies, table.meta["total"], True
    mapped = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    mapped.tokenizer, mapped.word_tag_tab = tokenizer, tags
    for sentence in SENTENCES:
        assert [(p.word, p.flag) for p in mapped.lcut(sentence)] == [(p.word, p.flag) for p in own.lcut(sentence)]
        assert tokenizer.lcut_for_search(sentence) == own.tokenizer.lcut_for_search(sentence)


def test_every_pypinyin_phrase_reads_the_same_and_so_does_every_prefix(tables):
    from pypinyin.phrases_dict import phrases_dict
    table = MappedTable(tables["pypinyin-phrases"], PYPINYIN)
    phrases = phrases_view(table)
    assert len(table) == len(phrases_dict) and all(phrases[p] == r for p, r in phrases_dict.items())
    prefixes = zh_word_table._Prefixes(table)
    own = {phrase[:i + 1] for phrase in phrases_dict for i in range(len(phrase))}
    assert all(p in prefixes for p in own)
    for other in ("", "洗手间在哪", "xyz", "银行行", "银行行长", "行长银"):
        assert (other in prefixes) == (other in own), other


def test_a_process_given_the_pypinyin_table_reads_sentences_as_pypinyin_does(tables):
    script = ("import json, sys; from pathlib import Path; from runtime.tts.zh_word_table import import_pypinyin\n"
              "assert import_pypinyin(Path(sys.argv[1]))\n"
              "from pypinyin import Style, lazy_pinyin\n"
              "print(json.dumps([lazy_pinyin(s, style=Style.TONE3, neutral_tone_with_five=True) for s in sys.argv[2:]]))")
    done = subprocess.run([sys.executable, "-c", script, str(tables["pypinyin-phrases"]), *SENTENCES], text=True,
                          capture_output=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    own = [lazy_pinyin(s, style=Style.TONE3, neutral_tone_with_five=True) for s in SENTENCES]
    assert json.loads(done.stdout) == own and own[1][:2] == ["yin2", "hang2"]


def test_a_mapped_dictionary_is_read_only_and_says_where_it_comes_from(tables):
    frequencies, _ = jieba_views(MappedTable(tables["jieba-words"], JIEBA))
    with pytest.raises(TypeError, match="read-only"):
        frequencies["新词"] = 5


def test_a_cache_where_no_table_can_be_made_leaves_the_packages_their_own(tmp_path, monkeypatch, caplog):
    from runtime.tts import aligned_voice, zh_phonemes
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    path, why = word_table("jieba-words", blocked / "voices")
    assert path is None and "could not be made" in why
    monkeypatch.setattr(aligned_voice, "cache_root", lambda: blocked / "voices")
    loaded = []
    monkeypatch.setattr(jieba, "initialize", lambda *a: loaded.append(True))
    monkeypatch.setattr(zh_word_table, "install_jieba", lambda *a: pytest.fail("nothing to install"))
    with caplog.at_level(logging.WARNING):
        zh_phonemes._mapped_tables(jieba)
    assert loaded and "jieba loads its own dictionaries" in caplog.text
    assert "pypinyin loads its own phrases" in caplog.text


def test_a_file_that_is_not_a_table_is_refused_by_name(tmp_path):
    bad = tmp_path / "jieba-words.table"
    bad.write_bytes(b"x" * 64)
    with pytest.raises(ValueError, match=str(bad)):
        MappedTable(bad, JIEBA)


def test_a_table_cut_short_is_refused_and_the_front_end_falls_back_to_the_packages_own(tables, tmp_path,
                                                                                      monkeypatch, caplog):
    from runtime.tts import aligned_voice, zh_phonemes
    whole = tables["jieba-words"].read_bytes()
    cut = tmp_path / "voices" / tables["jieba-words"].name
    cut.parent.mkdir()
    cut.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(ValueError, match="cut short or damaged"):
        MappedTable(cut, JIEBA)
    monkeypatch.setattr(aligned_voice, "cache_root", lambda: cut.parent)
    monkeypatch.setattr(zh_word_table, "table_path", lambda kind, cache: cut)
    loaded = []
    monkeypatch.setattr(jieba, "initialize", lambda *a: loaded.append(True))
    with caplog.at_level(logging.WARNING):
        zh_phonemes._mapped_tables(jieba)          # found "cached", refused, jieba's own loaded instead
    assert loaded and "cut short or damaged" in caplog.text
