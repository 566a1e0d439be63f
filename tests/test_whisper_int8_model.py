"""Whisper's weights quantized once on disk: the file format read and written back, CTranslate2's
int8 rule, and the real model decoding the same text from its int8 copy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from runtime.asr.int8_model import ModelBin, int8_files, quantized, read_model, write_model
from runtime.asr.model_parts import ModelFiles
from tests.conftest import SHARED


def _tiny() -> ModelBin:
    rng = np.random.default_rng(0)
    return ModelBin("WhisperSpec", 3, {
        "decoder/num_heads": np.array(8, dtype=np.int16),                     # a scalar stays 0-d
        "decoder/embeddings/weight": rng.normal(size=(6, 4)).astype(np.float16),
        "encoder/conv1/weight": rng.normal(size=(3, 2, 3)).astype(np.float16),
        "encoder/conv1/bias": rng.normal(size=3).astype(np.float16),
        "encoder/layer_0/ffn/linear_0/weight": np.zeros((2, 4), dtype=np.float16),   # an all-zero row
        "encoder/layer_0/ffn/layer_norm/gamma": np.ones(4, dtype=np.float16),
    }, [("decoder/projection/weight", "decoder/embeddings/weight")])


def test_a_model_bin_reads_back_as_written(tmp_path):
    model = _tiny()
    write_model(model, tmp_path / "model.bin")
    again = read_model(tmp_path / "model.bin")
    assert (again.name, again.revision, again.aliases) == (model.name, model.revision, model.aliases)
    assert again.variables.keys() == model.variables.keys()
    for name, value in model.variables.items():
        assert again.variables[name].dtype == value.dtype and again.variables[name].shape == value.shape
        assert np.array_equal(again.variables[name], value), name


def test_weights_become_int8_rows_with_their_scale_and_nothing_else_changes():
    model = _tiny()
    q = quantized(model).variables
    for name in ("decoder/embeddings/weight", "encoder/layer_0/ffn/linear_0/weight"):
        weight, scale = q[name], q[f"{name}_scale"]
        assert weight.dtype == np.int8 and weight.shape == model.variables[name].shape
        assert scale.dtype == np.float32 and scale.shape == (weight.shape[0],)
        rows = model.variables[name].astype(np.float32).reshape(weight.shape[0], -1)
        back = weight.reshape(weight.shape[0], -1) / scale[:, None]
        assert np.all(np.abs(back - rows) <= 0.5 / scale[:, None] + 1e-6), name      # rounding only
        peak = np.abs(weight.reshape(weight.shape[0], -1)).max(axis=1)
        assert np.all((peak == 127) | (rows == 0).all(axis=1)), name                 # each row fills int8
    for name in ("decoder/num_heads", "encoder/conv1/weight", "encoder/conv1/bias",     # as CTranslate2 at load
                 "encoder/layer_0/ffn/layer_norm/gamma"):
        assert q[name] is model.variables[name]
    assert q["decoder/num_heads"].shape == ()


def test_a_file_that_is_not_a_model_is_named(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"\x06\x00\x00\x00\xff")
    with pytest.raises(ValueError, match=r"model\.bin: not a CTranslate2 model\.bin"):
        read_model(tmp_path / "model.bin")


def test_no_copy_is_made_for_a_model_held_in_memory_or_when_the_child_fails(tmp_path):
    held = ModelFiles(tmp_path, {"model.bin": b""})
    assert int8_files(held) == (held, "held in memory (no writable cache): quantized at load")
    broken = tmp_path / "whisper-x"
    broken.mkdir()
    (broken / "model.bin").write_bytes(b"not a model")
    files, why = int8_files(ModelFiles(broken))
    assert files.folder == broken and "exited 1" in why and "not a CTranslate2 model.bin" in why
    assert not (tmp_path / "whisper-x-int8v1").exists()                # no half copy left behind


@pytest.mark.slow
def test_the_int8_copy_of_whisper_base_decodes_the_same_text_and_is_made_once(tmp_path, mall_pack_dir):
    from runtime.asr.model_parts import model_folder
    from runtime.asr.phrase_hints import pack_phrases
    from runtime.dialogue.content_pack import load_content_pack
    from runtime.asr.whisper_decoder import WhisperDecoder
    from runtime.audio.sources import read_wav
    from runtime.models.manifest import ModelCatalog
    entry = ModelCatalog.load().by_id("whisper-base")
    if entry is None or not entry.available:
        pytest.skip("whisper-base packages are not installed")
    plain = model_folder(entry, tmp_path)
    files, how = int8_files(plain)
    assert how == "made" and files.folder == plain.folder.with_name(plain.folder.name + "-int8v1")
    assert (files.folder / "model.bin").stat().st_size < 0.55 * (plain.folder / "model.bin").stat().st_size
    assert int8_files(plain)[1] == "cached"
    pack = load_content_pack(mall_pack_dir)                 # the venue prompt and both languages, as `run`
    phrases = {lang: pack_phrases(pack, lang) for lang in ("zh", "en")}
    for lang, name in (("en", "cathy-en/arctic_a0071_1592746861.wav"), ("zh", "mandarin-read/BAC009S0724W0121.wav"),
                       ("zh", "mandarin-read/BAC009S0764W0121.wav")):      # the last two: changed by int8 convs
        clip = read_wav(SHARED / "speech" / name).samples().astype(np.float32) / 32768
        other = "en" if lang == "zh" else "zh"
        texts = [WhisperDecoder(f, lang, threads=2, phrases=phrases[lang], others={other: phrases[other]})
                 .decode(clip).text for f in (plain, files)]
        assert texts[0] == texts[1] and texts[0], (name, texts)
    with open(files.folder / "model.bin", "r+b") as fh:                 # damaged on disk: made again
        fh.seek(1000)
        fh.write(b"\0" * 64)
    files.folder.joinpath("model.bin").touch()
    again, how = int8_files(plain)
    assert how == "made" and again.folder == files.folder


def test_the_module_runs_as_the_child(tmp_path):
    source = tmp_path / "m"
    source.mkdir()
    write_model(_tiny(), source / "model.bin")
    (source / "config.json").write_text("{}", encoding="utf-8")
    files, how = int8_files(ModelFiles(source))
    assert how == "made" and sorted(p.name for p in files.folder.iterdir()) == [
        "config.json", "model.bin", "model.bin.sha256"]
    variables = read_model(Path(files.folder) / "model.bin").variables
    assert variables["decoder/embeddings/weight"].dtype == np.int8
    assert variables["encoder/conv1/weight"].dtype == np.float16
