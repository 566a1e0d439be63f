"""The inference layer and the int8 audio→viseme model, on the real TFLite runtime.

CI runs this file twice: with LiteRT (the kiosk's venv) and with tflite-runtime 2.14
in its own numpy<2 venv (EDGE_AVATAR_TFLITE_BACKEND=tflite-runtime)."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from runtime.audio.chunk import AudioChunk
from runtime.audio.sources import read_wav
from runtime.lipsync.audio_visemes import (
    CONTEXT,
    LOOKAHEAD_S,
    MODEL_ID,
    AudioVisemeStream,
    load_audio_visemes,
)
from runtime.models.inference import choose_backend
from runtime.models.inference.base import TensorSpec
from runtime.models.manifest import ModelCatalog
from runtime.shared.durable_files import sha256_file
from runtime.shared.errors import ModelError

LIBRIVOX = Path(__file__).resolve().parents[2] / "shared" / "speech" / "librivox-en"
EXPECTED_BACKEND = os.environ.get("EDGE_AVATAR_TFLITE_BACKEND", "litert")


@pytest.fixture(scope="module")
def backend():
    return choose_backend()


@pytest.fixture(scope="module")
def lip_model(backend):
    catalog = ModelCatalog.load()
    model = load_audio_visemes(catalog, backend)
    assert model is not None, "the shipped audio-viseme model must load"
    return model


def _human_speech(pad_s: float = 0.6) -> AudioChunk:
    speech = read_wav(LIBRIVOX / "s0870.wav").converted(rate=16000, channels=1).float_samples()
    pad = np.zeros(int(pad_s * 16000), np.float32)
    return AudioChunk.from_float(np.concatenate([pad, speech, pad]), 16000)


def test_int8_scales_are_applied_in_one_place():
    spec = TensorSpec("x", (1, 3), "int8", scale=0.5, zero_point=-10)
    q = spec.quantize(np.array([[0.0, 1.0, 1000.0]]))
    assert q.dtype == np.int8 and q.tolist() == [[-10, -8, 127]]     # clipped, not wrapped
    assert spec.dequantize(q).tolist() == [[0.0, 1.0, 68.5]]
    plain = TensorSpec("y", (1,), "float32")
    assert plain.dequantize(plain.quantize(np.array([0.25]))).tolist() == [0.25]


def test_the_backend_is_chosen_once_and_logged(caplog):
    with caplog.at_level(logging.INFO, logger="runtime.models.inference.selection"):
        backend = choose_backend()
    assert backend.name == EXPECTED_BACKEND
    assert f"inference backend: {EXPECTED_BACKEND}" in caplog.text


def test_an_unknown_or_missing_backend_is_a_clear_error():
    with pytest.raises(ModelError, match="expected one of auto, litert, tflite-runtime"):
        choose_backend("onnx")
    other = "tflite-runtime" if EXPECTED_BACKEND == "litert" else "litert"
    try:
        choose_backend(other)
    except ModelError as err:
        assert other in str(err)


def test_the_shipped_model_is_int8_with_the_manifest_shapes(backend):
    catalog = ModelCatalog.load()
    entry = catalog.by_id(MODEL_ID)
    path = next(f.path for f in entry.files)
    model = backend.load(catalog.verify(entry) / path.name)
    assert [(s.shape, s.dtype) for s in model.inputs] == [((1, CONTEXT, 40), "int8")]
    assert [(s.shape, s.dtype) for s in model.outputs] == [((1, 15), "int8")]
    probs = model.run(np.zeros((1, CONTEXT, 40), np.float32))[0]
    assert probs.shape == (1, 15) and abs(float(probs.sum()) - 1.0) < 0.05   # dequantized softmax


def test_a_tampered_model_is_refused_and_the_mouth_falls_back_to_loudness(tmp_path, backend, caplog):
    shipped = ModelCatalog.load().by_id(MODEL_ID)
    src = shipped.files[0].path
    copy = tmp_path / src.name
    shutil.copyfile(src, copy)
    (tmp_path / "manifest.yaml").write_text(
        f"version: 1\nmodels:\n  - {{id: {MODEL_ID}, kind: tflite, engine: tflite, language: any, "
        f"location: {{path: .}}, files: [{{path: {src.name}, sha256: {sha256_file(src)}}}], licence: Apache-2.0}}\n")
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with caplog.at_level(logging.ERROR):
        assert load_audio_visemes(ModelCatalog.load(tmp_path), backend) is None
    assert str(copy) in caplog.text and "does not match the manifest" in caplog.text
    assert "the mouth follows loudness" in caplog.text


def test_a_file_that_is_not_a_model_is_named_in_the_error(tmp_path, backend):
    bad = tmp_path / "junk.tflite"
    bad.write_bytes(b"not a flatbuffer" * 10)
    with pytest.raises(ModelError, match="junk.tflite: not a loadable TFLite model"):
        backend.load(bad)


def test_streaming_looks_ahead_at_most_40_ms_and_equals_the_whole_clip(lip_model):
    assert LOOKAHEAD_S <= 0.040
    audio = _human_speech().float_samples()[: 16000 * 2]
    stream = AudioVisemeStream(lip_model._model)
    streamed = []
    piece = 16  # 1 ms
    for i in range(0, len(audio), piece):
        heard_s = min(len(audio), i + piece) / 16000
        for t, v in stream.push(audio[i:i + piece]):
            assert heard_s - t <= LOOKAHEAD_S + 0.0011, "a key waited for more audio than its look-ahead"
            streamed.append((t, v))
    streamed += stream.finish()
    whole = lip_model.keys(AudioChunk.from_float(audio, 16000))
    assert streamed[:len(whole)] == whole


def test_human_speech_opens_the_mouth_and_silence_closes_it(lip_model):
    clip = _human_speech(pad_s=0.6)
    keys = dict(lip_model.keys(clip))
    shapes = np.array([keys[t] for t in sorted(keys)])
    times = np.array(sorted(keys))
    quiet = shapes[(times < 0.45) | (times > clip.seconds - 0.45)]
    talking = shapes[(times > 0.9) & (times < clip.seconds - 0.9)]
    assert np.mean(quiet == "sil") > 0.9
    assert np.mean(talking != "sil") > 0.6
    assert len(set(talking)) >= 8, "real speech should show most mouth shapes, not only open/closed"


def test_the_manifest_tells_the_truth_about_every_model(backend):
    """Every entry says what it is (size, shapes, quantization, licence, provenance, accuracy); for
    each installed one the size is the files' size, and a TFLite model's tensors are as declared."""
    import yaml

    from models_quantized import MANIFEST
    raw = {m["id"]: m for m in yaml.safe_load(MANIFEST.read_text())["models"]}
    catalog = ModelCatalog.load()
    for entry in catalog.entries:
        declared = raw[entry.id]
        for key in ("size_bytes", "inputs", "outputs", "quantization", "licence", "source", "accuracy"):
            assert key in declared, f"{entry.id}: manifest has no {key}"
        if not entry.available:
            continue
        assert declared["size_bytes"] == sum(f.path.stat().st_size for f in entry.files), entry.id
        if entry.kind == "tflite":
            model = backend.load(catalog.verify(entry) / entry.files[0].path.name)
            for specs, listed in ((model.inputs, declared["inputs"]), (model.outputs, declared["outputs"])):
                assert [(s.name, list(s.shape), s.dtype) for s in specs] == \
                    [(t["name"], t["shape"], t["dtype"]) for t in listed], entry.id
