"""A CTranslate2 model with its weights in int8 on disk, made once per model and loaded by path.

The Whisper packages ship `model.bin` in float16 (145 MB for base). Loaded with `compute_type="int8"`,
CTranslate2 reads the float16 weights and quantizes them at every start: measured here for base,
320 MB peak and 235 MB kept above the interpreter. The same quantization done once, into

    <the joined model's cache folder>-int8v1/   model.bin (74 MB)  model.bin.sha256  config.json …

loads at 192 MB peak with 191 MB kept, and decodes to the same text as the float16 file loaded
as int8 (the 10 Mandarin recordings of `../shared/speech` with the venue prompt and both
languages, and 8 others without a prompt: identical). It is the quantization CTranslate2 does at
load, done ahead: the variables its Whisper model quantizes (`WhisperModel::is_quantizable`: named
`…/weight`, not a convolution's — linear and embedding weights) are scaled per output row so that
the row's largest magnitude is 127, rounded to nearest (binary version 6 rounds before the cast)
and stored as int8 beside a float32 `…/weight_scale`. Everything else is kept as it is, so
CTranslate2 converts it at load exactly as before. (Quantizing the convolutions too, as its
converter can, changed 2 of those 10 transcripts.)

It is made by a child process (`python -m runtime.asr.int8_model SRC_FOLDER DST_FOLDER`), so the
float32 copies it needs for a moment (the 51 865 x 512 token embeddings: 106 MB) never count
against the kiosk. The folder is written beside the target under a temporary name, every file
fsynced, then renamed into place: a power cut leaves no half model. Each start checks the int8
file against the sha256 written with it (once per process). When no copy can be made (the model
is held in memory, a read-only cache, the child fails), `int8_files` says why and the caller loads
the float16 model as before.

The file format (`model.bin`, CTranslate2 binary version 6): uint32 version, string model name,
uint32 revision, uint32 variable count, then per variable its name, uint8 rank, uint32 dimensions,
uint8 type id, uint32 byte count and the bytes; then uint32 alias count and (alias, name) string
pairs. A string is a uint16 length (with its terminating NUL), the UTF-8 bytes and a NUL.
"""

from __future__ import annotations

import logging
import os
import shutil
import struct
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from runtime.shared.cache_child import run_module
from runtime.shared.durable_files import fsync_dir, sha256_file
from runtime.shared.file_checks import matches_sha256

from .model_parts import ModelFiles

_LOGGER = logging.getLogger(__name__)
TYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")   # CTranslate2's DataType order
BINARY_VERSION = 6
CHILD_TIMEOUT_S = 600        # base takes ~3 s here; a slow board's SD card, much longer
RULE = "int8v1"             # in the folder's name: a copy made by another rule is never reused
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json", "preprocessor_config.json")


@dataclass
class ModelBin:
    """A CTranslate2 `model.bin`: its header, variables (name -> array) and aliases."""
    name: str
    revision: int
    variables: dict[str, np.ndarray]
    aliases: list[tuple[str, str]]


def read_model(path: Path) -> ModelBin:
    """Parse a `model.bin`; a ValueError naming the file when it is not one this module can read."""
    data = Path(path).read_bytes()
    at = 0

    def take(fmt: str):
        nonlocal at
        value = struct.unpack_from(fmt, data, at)[0]
        at += struct.calcsize(fmt)
        return value

    def text() -> str:
        nonlocal at
        size = take("H")
        value = data[at:at + size - 1].decode("utf-8")
        at += size
        return value

    try:
        version = take("I")
        if version != BINARY_VERSION:
            raise ValueError(f"binary version {version}, expected {BINARY_VERSION}")
        name, revision, count = text(), take("I"), take("I")
        variables = {}
        for _ in range(count):
            var = text()
            shape = [take("I") for _ in range(take("B"))]
            dtype, size = np.dtype(TYPES[take("B")]), take("I")
            variables[var] = np.frombuffer(data, dtype, size // dtype.itemsize, at).reshape(shape)
            at += size
        aliases = [(text(), text()) for _ in range(take("I"))]
    except (struct.error, IndexError, ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a CTranslate2 model.bin this kiosk can read ({err})") from err
    return ModelBin(name, revision, variables, aliases)


def quantized(model: ModelBin) -> ModelBin:
    """The model with every weight CTranslate2 would quantize at load in int8, with its per-row float32
    scale: `…/weight` of rank >= 2, not a convolution's."""
    out: dict[str, np.ndarray] = {}
    for name, value in model.variables.items():
        if quantizable(name, value):
            rows = value.astype(np.float32).reshape(value.shape[0], -1)
            amax = np.abs(rows).max(axis=1)
            amax[amax == 0] = 127.0
            amax = np.maximum(amax, np.float32(127) / np.finfo(np.float32).max)
            scale = (127.0 / amax).astype(np.float32)
            out[name] = np.rint(rows * scale[:, None]).astype(np.int8).reshape(value.shape)
            out[f"{name}_scale"] = scale
        else:
            out[name] = value
    return ModelBin(model.name, model.revision, out, list(model.aliases))


def quantizable(name: str, value: np.ndarray) -> bool:
    """What CTranslate2's Whisper model quantizes when it loads a float model as int8."""
    return (name.endswith("/weight") and "conv" not in name and value.ndim >= 2
            and value.dtype.name in ("float16", "float32"))


def write_model(model: ModelBin, path: Path) -> None:
    """Write `model` as a `model.bin` (variables in name order, as CTranslate2 writes them)."""
    with open(path, "wb") as fh:
        def text(value: str) -> None:
            raw = value.encode("utf-8")
            fh.write(struct.pack("H", len(raw) + 1) + raw + b"\0")

        fh.write(struct.pack("I", BINARY_VERSION))
        text(model.name)
        fh.write(struct.pack("=II", model.revision, len(model.variables)))
        for name in sorted(model.variables):
            value = np.array(model.variables[name], order="C", copy=True)   # keeps a scalar 0-d
            text(name)
            fh.write(struct.pack("B", value.ndim) + b"".join(struct.pack("I", d) for d in value.shape))
            fh.write(struct.pack("=BI", TYPES.index(value.dtype.name), value.nbytes))
            fh.write(value.tobytes())
        fh.write(struct.pack("I", len(model.aliases)))
        for alias, name in model.aliases:
            text(alias)
            text(name)
        fh.flush()
        os.fsync(fh.fileno())


def make_int8_folder(source: Path, target: Path) -> None:
    """In the child: `source`'s model in int8, with its side files, as the folder `target` (atomic)."""
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        write_model(quantized(read_model(source / "model.bin")), tmp / "model.bin")
        (tmp / "model.bin.sha256").write_text(sha256_file(tmp / "model.bin") + "\n", encoding="utf-8")
        for name in SIDE_FILES:
            if (source / name).is_file():
                shutil.copyfile(source / name, tmp / name)
        for path in tmp.iterdir():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o755)
        fsync_dir(tmp)
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def whisper_files(entry, cache: Path | None = None) -> tuple[ModelFiles, str]:
    """(the model to load, how it was found) for a manifest entry whose parts are joined into the cache:
    an intact int8 copy is used without reading the float16 file it was made from (145 MB hashed at
    every start before); otherwise the parts are joined (or checked) and the copy made, as `int8_files`."""
    from .model_parts import joined_folder, model_folder
    if entry.assemble and entry.root is not None:
        copy = int8_folder(joined_folder(entry, cache))
        if copy.is_dir() and _intact(copy):
            return ModelFiles(copy), "cached"
    return int8_files(model_folder(entry, cache))


def int8_folder(joined: Path) -> Path:
    """The int8 copy's folder for a model joined into `joined`."""
    return joined.with_name(f"{joined.name}-{RULE}")


def int8_files(files: ModelFiles, timeout_s: float = CHILD_TIMEOUT_S) -> tuple[ModelFiles, str]:
    """(the model to load, how it was found): the int8 copy of `files`, made once by a child process,
    or `files` themselves with the reason no copy is used."""
    if files.in_memory is not None:
        return files, "held in memory (no writable cache): quantized at load"
    target = int8_folder(files.folder)
    if target.is_dir():
        if _intact(target):
            return ModelFiles(target), "cached"
        _LOGGER.warning("whisper: the int8 copy %s is damaged; making it again", target)
        shutil.rmtree(target, ignore_errors=True)
    code, last = run_module("runtime.asr.int8_model", str(files.folder), str(target), timeout_s=timeout_s)
    if code is None:
        return files, f"the child that makes the int8 copy failed ({last})"
    if code != 0 or not _intact(target):
        return files, f"the child that makes the int8 copy exited {code}: {last}"
    return ModelFiles(target), "made"


def _intact(folder: Path) -> bool:
    model, digest = folder / "model.bin", folder / "model.bin.sha256"
    try:
        return matches_sha256(model, digest.read_text(encoding="utf-8").strip())
    except OSError:
        return False


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m runtime.asr.int8_model SOURCE_FOLDER TARGET_FOLDER")
    make_int8_folder(Path(sys.argv[1]), Path(sys.argv[2]))
