"""Float or int8 voice: the board profile chooses, a setting overrides, the int8 voice really speaks."""

from __future__ import annotations

import numpy as np
import pytest

from runtime.board.defaults import BoardDefaults, resolve
from runtime.board.profile import list_boards, load_board
from runtime.composition.backends import make_synthesizer
from runtime.models.manifest import ModelCatalog


def test_each_board_profile_names_its_voice_precision_and_settings_win():
    choices = {b: load_board(b).runtime["voice_precision"] for b in list_boards()}
    assert choices["rpi4"] == "int8" and choices["generic-x86"] == "float"
    pi4 = BoardDefaults("rpi4", "int8", 2)
    assert resolve("auto", 0, pi4) == ("int8", 2)
    assert resolve("float", 1, pi4) == ("float", 1)


@pytest.mark.slow
def test_the_int8_voice_is_hash_checked_and_speaks_the_same_words(catalog):
    entry = catalog.find("tts", "en", engine="piper", precision="int8")
    assert entry.id.endswith("-int8") and entry.precision == "int8"
    catalog.verify(entry)
    float_voice = make_synthesizer(catalog, "en", deterministic=True, precision="float")
    int8_voice = make_synthesizer(catalog, "en", deterministic=True, precision="int8")
    text = "The cinema is on the fourth floor."
    a = np.concatenate([s.audio.float_samples() for s in float_voice.synthesize(text)])
    [segment] = list(int8_voice.synthesize(text))
    b = segment.audio.float_samples()
    assert segment.phonemes, "the int8 voice still gives phoneme times for lip sync"
    assert abs(len(a) - len(b)) / len(a) < 0.15, "about the same length of speech"
    assert 0.3 < np.sqrt(np.mean(b ** 2)) / np.sqrt(np.mean(a ** 2)) < 3.0


def test_a_board_preferring_int8_still_speaks_without_the_int8_voice(tmp_path):
    catalog = ModelCatalog.load()
    floats_only = ModelCatalog([e for e in catalog.entries if e.precision == "float"])
    entry = floats_only.find("tts", "en", engine="piper", precision="int8")
    assert entry is not None and entry.precision == "float"
