"""A file's sha256 checked once per process: model files are hundreds of MB, a start checks several,
and a process that loads a model again (a rebuilt stage, a second language) need not hash it again.

A check is remembered with the file's size and modification time: a file replaced or touched since
is hashed again. `forget_checks` is a new process's view (for tests).
"""

from __future__ import annotations

import threading
from pathlib import Path

from .durable_files import sha256_file

_checked: set[tuple[str, int, int, str]] = set()     # (path, size, mtime_ns, sha256) found to match
_lock = threading.Lock()


def _key(path: Path, sha256: str) -> tuple[str, int, int, str]:
    stat = path.stat()
    return (str(path), stat.st_size, stat.st_mtime_ns, sha256)


def matches_sha256(path: Path, sha256: str) -> bool:
    """Is `path`'s sha256 `sha256`? Hashed only if not already found so in this process (OSError when
    it cannot be read)."""
    key = _key(path, sha256)
    with _lock:
        if key in _checked:
            return True
    if sha256_file(path) != sha256:
        return False
    with _lock:
        _checked.add(key)
    return True


def remember_match(path: Path, sha256: str) -> None:
    """`path` was just written with this sha256 (hashed while it was written): no need to read it again."""
    key = _key(path, sha256)
    with _lock:
        _checked.add(key)


def forget_checks() -> None:
    with _lock:
        _checked.clear()
