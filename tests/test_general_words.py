"""The general model's frequent words for the venue model: worked out once, then read from the cache."""

from __future__ import annotations

import pytest

from runtime.asr import general_words
from runtime.asr.general_words import dictionary_has, general_unigrams


@pytest.fixture(scope="module")
def english_model():
    pytest.importorskip("pocketsphinx")
    from pocketsphinx import Config
    config = Config()
    return config["lm"], config["dict"]


def test_the_words_are_kept_and_read_back_the_same(english_model, tmp_path, monkeypatch):
    lm, dictionary = english_model
    first = general_unigrams(lm, dictionary, 2000, tmp_path)
    assert len(first) == 2000 and "the" in first and all(p < 0 for p in first.values())
    [kept] = tmp_path.glob("general-unigrams-*.json")

    def never(*_args):
        raise AssertionError("worked out again although it was kept")

    monkeypatch.setattr(general_words, "_score", never)
    assert general_unigrams(lm, dictionary, 2000, tmp_path) == first        # read back exactly
    kept.write_text("")                                                     # damaged: worked out again
    monkeypatch.undo()
    assert general_unigrams(lm, dictionary, 2000, tmp_path) == first


def test_a_cache_that_cannot_be_written_only_costs_the_work_again(english_model, tmp_path):
    lm, dictionary = english_model
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert len(general_unigrams(lm, dictionary, 100, blocked / "cache")) == 100


def test_only_the_asked_words_the_dictionary_has_come_back(english_model):
    _, dictionary = english_model
    assert dictionary_has(dictionary, {"cinema", "toilet", "xqzzyq"}) == {"cinema", "toilet"}
