"""The general model's words, worked out once, then read from the cache: its frequent words for the venue
model, and the dictionary cut to the words it has (a venue's rarer words added for that start)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.asr import general_words
from runtime.asr.general_words import decoding_dictionary, dictionary_has, general_dictionary, general_unigrams


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


def test_the_cut_dictionary_keeps_every_pronunciation_of_the_words_the_general_model_has(english_model, tmp_path):
    lm, dictionary = english_model
    cut = general_dictionary(lm, dictionary, tmp_path)
    assert cut != dictionary and Path(cut).parent == tmp_path
    kept = Path(cut).read_text(encoding="utf-8").splitlines()
    assert 60000 < len(kept) < len(Path(dictionary).read_text(encoding="utf-8").splitlines())
    words = {line.split(" ", 1)[0] for line in kept}
    assert {"the", "cinema", "escalator", "for", "for(2)", "for(3)"} <= words
    assert "aquarists" not in words                       # in the dictionary, never in the general model
    assert general_dictionary(lm, dictionary, tmp_path) == cut


def test_a_venue_word_the_general_model_lacks_is_added_for_that_start_only(english_model, tmp_path):
    lm, dictionary = english_model
    cut = general_dictionary(lm, dictionary, tmp_path)
    same, temporary, known = decoding_dictionary(lm, dictionary, {"cinema", "xqzzyq"}, tmp_path)
    assert (same, temporary, known) == (cut, None, {"cinema"})
    extended, temporary, known = decoding_dictionary(lm, dictionary, {"aquarists", "cinema"}, tmp_path)
    assert temporary == Path(extended) and known == {"aquarists", "cinema"}
    try:
        lines = Path(extended).read_text(encoding="utf-8").splitlines()
        assert len(lines) == len(Path(cut).read_text(encoding="utf-8").splitlines()) + 1
        assert lines[-1].startswith("aquarists ")
    finally:
        temporary.unlink()


def test_the_recogniser_decodes_with_the_cut_dictionary_and_can_say_the_venue_words(english_model, tmp_path,
                                                                                    monkeypatch):
    from runtime.asr import pocketsphinx_asr
    from runtime.asr.pocketsphinx_asr import PocketsphinxRecognizer
    monkeypatch.setattr(pocketsphinx_asr, "cache_root", lambda: tmp_path)
    made = []
    real = pocketsphinx_asr.decoding_dictionary
    monkeypatch.setattr(pocketsphinx_asr, "decoding_dictionary", lambda *a: made.append(real(*a)) or made[-1])
    recognizer = PocketsphinxRecognizer(hints=["Where do the aquarists feed the sharks?"])
    [(extended, temporary, _known)] = made
    assert not temporary.exists()                        # read by the decoder, then removed
    decoder = recognizer._decoder
    assert decoder.lookup_word("aquarists") and decoder.lookup_word("sharks")
    assert decoder.lookup_word("vanvalkenburgh") is None  # no language model has it: not loaded
