"""Crash-safe file updates: write a temp file, fsync, rename over, fsync the folder.

Every durable change of the installer's and the launcher's records goes through here, so the power-loss
tests (``power_loss``, ``EDGE_AVATAR_POWER_LOSS=1``) see each change that is not durable yet.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from . import power_loss


def _note(path: Path, before: power_loss.Before | None = None) -> None:
    """A change at ``path`` that is durable only once its folder is fsynced (power-loss tests only)."""
    if power_loss.JOURNAL is not None:
        power_loss.JOURNAL.changed(path, before or power_loss.before(path))


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    if power_loss.JOURNAL is not None:
        power_loss.JOURNAL.synced(folder)


def sync_tree(folder: Path) -> None:
    """fsync every file and folder under ``folder`` (written by other code or processes: an unpacked
    bundle, a venv pip built), deepest first, and ``folder`` itself; its own entry in its parent is
    the caller's (a rename, then ``fsync_dir`` of the parent)."""
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(root))


def make_dirs(folder: Path) -> None:
    """``mkdir -p``, durably: each folder created is fsynced into its parent (a new folder's entry is
    lost by a power cut until then, and everything in it with it)."""
    folder = Path(folder)
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        _note(new, power_loss.Before(power_loss.ABSENT))
        new.mkdir(exist_ok=True)
        fsync_dir(new.parent)


def remove_file(path: Path, sync: bool = True) -> None:
    """Remove a record (missing is fine); durable once its folder is fsynced (now, unless ``sync=False``:
    the caller removes several and fsyncs the folder once)."""
    path = Path(path)
    if not (path.is_symlink() or path.exists()):
        return
    _note(path)
    path.unlink()
    if sync:
        fsync_dir(path.parent)


def rename_dir_atomic(source: Path, target: Path) -> None:
    """Rename a finished folder into place, durably (its contents synced first by the caller)."""
    _note(target, power_loss.moved_from(source))
    os.rename(source, target)
    fsync_dir(Path(target).parent)


def replace_atomic(tmp: Path, path: Path) -> None:
    """Put a finished temp file (written by the caller, in ``path``'s folder) in place of ``path``:
    its content fsynced, one rename, the folder fsynced."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    _note(path)
    os.replace(tmp, path)
    fsync_dir(Path(path).parent)


def write_json_atomic(path: Path, data) -> None:
    """Readers (and a power cut) see the old file or the new one, never half of one."""
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=1))


def write_text_atomic(path: Path, text: str) -> None:
    """`write_json_atomic` for text that is not JSON (UTF-8)."""
    path = Path(path)
    make_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        _note(path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def read_json(path: Path, default):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


def point_link_atomic(link: Path, target: Path | None) -> None:
    """Make ``link`` point at ``target`` in one rename (readers see the old or the new target)."""
    link = Path(link)
    if target is None:
        if link.is_symlink():
            remove_file(link)
        return
    tmp = link.with_name(f".{link.name}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(os.path.relpath(target, link.parent), tmp)
    _note(link)
    os.replace(tmp, link)
    fsync_dir(link.parent)


_HASH_BLOCK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_HASH_BLOCK):
            h.update(block)
    return h.hexdigest()
