"""Voice files that report their phoneme times, made once per voice and loaded by path.

**Piper** (`aligned_voice`): made outside the kiosk's process.

Piper gives each phoneme's sample count only when the voice's `w_ceil` tensor is a graph output. piper-tts
can add it at load (`include_alignments=True`), but that imports the `onnx` package (+24 MB resident),
parses the whole voice (+60 MB for the 63 MB float voice) and hands onnxruntime a second copy as bytes,
which the session keeps for its life (+60 MB): 145 MB of a kiosk's memory for one graph output
(docs/speaking.md#memory-by-stage). Here the aligned copy is written once to the kiosk's cache,

    $EDGE_AVATAR_CACHE, else $EDGE_AVATAR_DATA/cache, else ~/.cache/edge-avatar
        voices/<voice file stem>-<first 12 hex digits of its sha256>.aligned.onnx

by a child process (`python -m runtime.tts.aligned_voice SRC DST`), so `onnx` never enters the kiosk,
and every start loads that file by path. A voice that already has the output (patched at build time)
gets a link to itself. The copy is written as a temp file, fsynced and renamed into place: a power cut
leaves no half voice. When no copy can be made (read-only cache, no `onnx` package), `aligned_voice`
says why and returns None: the caller patches in memory as before, at that memory cost, and logs it.

**Kokoro** (`suffixed_voice`): its duration output is added by appending a few protobuf bytes
(`kokoro_tts._with_durations`); done in memory that holds the 92 MB model twice as Python bytes while
onnxruntime parses it. Here the file and its suffix are copied block by block into the same cache
(`<stem>-<sha12>.durations.onnx`) and onnxruntime reads that file itself.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from pathlib import Path

from runtime.shared.cache_child import run_module
from runtime.shared.cache_copies import remove_older_copies, remove_partial_writes
from runtime.shared.durable_files import fsync_dir, sha256_file

_LOGGER = logging.getLogger(__name__)
ALREADY_ALIGNED = 3          # the child's exit code when the voice already has the alignment output
_BLOCK = 1 << 20
CHILD_TIMEOUT_S = 300        # a 63 MB voice takes ~2 s here; a slow board's SD card, much longer


def cache_root() -> Path:
    """The same rule as the model and avatar caches (a read-only root leaves the data folder writable)."""
    base = (os.environ.get("EDGE_AVATAR_CACHE")
            or (os.path.join(os.environ["EDGE_AVATAR_DATA"], "cache") if os.environ.get("EDGE_AVATAR_DATA") else None)
            or os.path.join(os.path.expanduser("~"), ".cache", "edge-avatar"))
    return Path(base) / "voices"


def aligned_path(model_path: Path, sha256: str, cache: Path | None = None) -> Path:
    return (cache or cache_root()) / f"{model_path.stem}-{sha256[:12]}.aligned.onnx"


def aligned_voice(model_path: Path, cache: Path | None = None) -> tuple[Path | None, str]:
    """(the voice file to load by path, how it was found) — or (None, why not) when no aligned copy can
    be made here. A copy made earlier is reused (its name carries the source's sha256)."""
    model_path = Path(model_path)
    target = aligned_path(model_path, sha256_file(model_path), cache)
    if target.is_file():                      # a link to an already aligned voice resolves to it
        return target, "cached"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return None, f"cannot write the voice cache {target.parent} ({err})"
    code, last = run_module("runtime.tts.aligned_voice", str(model_path), str(target), timeout_s=CHILD_TIMEOUT_S)
    remove_partial_writes(target)             # a child killed at its time limit leaves its temp copy
    if code is None:
        return None, f"the child that adds the alignment output failed ({last})"
    if code == ALREADY_ALIGNED:
        _link(model_path.resolve(), target)
        _forget_older(target, model_path.stem, "aligned")
        return target, "already aligned"
    if code != 0 or not target.is_file():
        return None, f"the child that adds the alignment output exited {code}: {last}"
    _forget_older(target, model_path.stem, "aligned")
    return target, "made"


def suffixed_voice(model_path: Path, suffix: bytes, needle: bytes, tag: str,
                   cache: Path | None = None) -> tuple[Path | None, str]:
    """(`model_path` + `suffix` as a file in the cache, how it was found) — (None, why not) when it cannot
    be written, or when the model does not contain `needle` (the tensor the suffix names)."""
    model_path = Path(model_path)
    target = (cache or cache_root()) / f"{model_path.stem}-{sha256_file(model_path)[:12]}.{tag}.onnx"
    if target.is_file():
        return target, "cached"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        return None, f"cannot write the voice cache {target.parent} ({err})"
    try:
        found, tail = False, b""
        with os.fdopen(fd, "wb") as out, open(model_path, "rb") as src:
            while block := src.read(_BLOCK):
                found = found or needle in tail + block
                tail = block[-len(needle):]
                out.write(block)
            if not found:
                Path(tmp).unlink()
                return None, f"no {needle.decode(errors='replace')} in {model_path.name}"
            out.write(suffix)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        return None, f"cannot write {target} ({err})"
    _forget_older(target, model_path.stem, tag)
    return target, "made"


def _forget_older(made: Path, stem: str, tag: str) -> None:
    """The copies of an earlier version of the same voice file (another sha256) are not needed again."""
    remove_older_copies(made, rf"{re.escape(stem)}-[0-9a-f]{{12}}\.{re.escape(tag)}\.onnx")


def _link(source: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.link")
    tmp.unlink(missing_ok=True)
    os.symlink(source, tmp)
    os.replace(tmp, target)
    fsync_dir(target.parent)


def write_aligned(source: Path, target: Path) -> bool:
    """In the child: the voice with its `w_ceil` tensor as an output, written crash-safe to `target`.
    False when the voice already has that output (nothing written)."""
    import onnx
    from piper.patch_voice_with_alignment import add_alignment_output

    model = onnx.load(str(source))
    try:
        add_alignment_output(model)
    except ValueError as err:
        if "already marked as output" in str(err):
            return False
        raise
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(model.SerializeToString())
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)                  # mkstemp's 0600: another user of the cache may read it
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
    return True


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m runtime.tts.aligned_voice SOURCE.onnx TARGET.onnx")
    sys.exit(0 if write_aligned(Path(sys.argv[1]), Path(sys.argv[2])) else ALREADY_ALIGNED)
