"""jieba's dictionaries as one mapped table: the same value for every key, so the same words and tags
(and Kokoro phonemes) as jieba's own dicts, made once by a child, and a clear way back when it cannot be."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

jieba = pytest.importorskip("jieba")
pytest.importorskip("misaki")
import jieba.posseg  # noqa: E402

from runtime.tts import zh_word_table  # noqa: E402
from runtime.tts.zh_word_table import WordTable, word_table  # noqa: E402

SENTENCES = ["请问洗手间在哪里？洗手间在三楼电梯旁边。",
             "银行的营业时间是上午九点到下午五点。",
             "有人打电话让您把钱转到安全账户，这是诈骗，请拨打九六一一零。",
             "导览员会为您讲解展品，行李可以寄存在服务台。",
             "不要着急，一会儿就到了。",
             "深圳湾公园和颐和园都很好玩"]


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> WordTable:
    path, how = word_table(tmp_path_factory.mktemp("voices"))
    assert path is not None and how == "made now", how
    assert word_table(path.parent) == (path, "cached")
    return WordTable(path)


def test_every_key_has_jiebas_own_value(table):
    frequencies, total = jieba.Tokenizer.gen_pfdict(jieba.Tokenizer().get_dict_file())
    tags = jieba.posseg.POSTokenizer(jieba.Tokenizer()).word_tag_tab
    assert table.total == total and table.count == len(frequencies) == 498113
    assert all(table.frequencies.get(word) == freq for word, freq in frequencies.items())
    assert all(table.tags.get(word) == tag for word, tag in tags.items())
    for missing in ("", "not-a-word", "洗手间在"):
        assert missing not in table.frequencies and table.tags.get(missing, "x") == "x"
    assert "洗手" in table.frequencies and table.frequencies["洗手"] > 0 and table.tags["洗手间"] == "n"


def test_words_and_tags_cut_with_the_table_are_jiebas(table):
    own = jieba.posseg.POSTokenizer(jieba.Tokenizer())
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = table.frequencies, table.total, True
    mapped = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    mapped.tokenizer, mapped.word_tag_tab = tokenizer, table.tags
    for sentence in SENTENCES:
        assert [(p.word, p.flag) for p in mapped.lcut(sentence)] == [(p.word, p.flag) for p in own.lcut(sentence)]
        assert tokenizer.lcut_for_search(sentence) == own.tokenizer.lcut_for_search(sentence)


def test_the_table_is_read_only_and_says_where_it_comes_from(table):
    with pytest.raises(TypeError, match="read-only"):
        table.frequencies["新词"] = 5


def test_a_cache_where_no_table_can_be_made_leaves_jieba_its_own_dictionaries(tmp_path, monkeypatch, caplog):
    from runtime.tts import aligned_voice, zh_phonemes
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    path, why = word_table(blocked / "voices")
    assert path is None and "could not be made" in why
    monkeypatch.setattr(aligned_voice, "cache_root", lambda: blocked / "voices")
    loaded = []
    monkeypatch.setattr(jieba, "initialize", lambda *a: loaded.append(True))
    monkeypatch.setattr(zh_word_table, "install", lambda *a: pytest.fail("nothing to install"))
    with caplog.at_level(logging.WARNING):
        zh_phonemes._mapped_word_table(jieba)
    assert loaded and "jieba loads its own dictionaries" in caplog.text


def test_a_file_that_is_not_a_table_is_refused_by_name(tmp_path):
    bad = tmp_path / "jieba-words.table"
    bad.write_bytes(b"x" * 64)
    with pytest.raises(ValueError, match=str(bad)):
        WordTable(Path(bad))
