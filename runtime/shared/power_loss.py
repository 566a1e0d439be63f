"""A test-only journal of file operations a power cut would still lose (``EDGE_AVATAR_POWER_LOSS=1``).

A ``kill -9`` keeps the page cache: a rename whose folder was never fsynced survives it, so crash tests
with SIGKILL cannot catch a missing fsync. With the variable set (read once, at import) the durable
writes of ``durable_files`` note here each change that is not durable yet — a file replaced, a link
switched, a file removed or a folder renamed, in a folder not fsynced since — and forget it when
``fsync_dir`` of that folder makes it durable. A fail point in that mode calls ``lose_unsynced()``
before it kills the process: every change still noted is undone, newest first, which is what a power
cut at that moment would lose (``fleet.failpoints``, the launcher's fail points).

What it cannot imitate: a disk that reorders writes or acknowledges a flush it did not make, and
files written by other processes (pip, a venv) that reach the card only through ``sync_tree``.
Unset (always, on a kiosk), ``JOURNAL`` is None and nothing is noted: the product path costs one test.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

ENV = "EDGE_AVATAR_POWER_LOSS"

# What was at a path before a change: nothing, a file's bytes, a link's target, or (a renamed
# folder) the path it was renamed from.
ABSENT, FILE, LINK, MOVED_FROM = "absent", "file", "link", "moved-from"


@dataclass(frozen=True)
class Before:
    kind: str
    data: bytes | str | None = None


@dataclass(frozen=True)
class Pending:
    folder: Path          # the folder whose fsync makes the change durable
    path: Path
    before: Before


@dataclass
class Journal:
    """Pure bookkeeping: changes noted in order, dropped when their folder is fsynced."""
    pending: list[Pending] = field(default_factory=list)

    def changed(self, path: Path, before: Before) -> None:
        path = Path(path)
        self.pending.append(Pending(path.parent.resolve(), path, before))

    def synced(self, folder: Path) -> None:
        folder = Path(folder).resolve()
        self.pending = [p for p in self.pending if p.folder != folder]

    def to_undo(self) -> list[Pending]:
        """The changes a power cut loses, in the order to undo them (newest first)."""
        return list(reversed(self.pending))


def before(path: Path) -> Before:
    """What is at ``path`` now (read before a change, to be able to undo it)."""
    path = Path(path)
    if path.is_symlink():
        return Before(LINK, os.readlink(path))
    if path.is_file():
        return Before(FILE, path.read_bytes())
    return Before(ABSENT)


def moved_from(source: Path) -> Before:
    return Before(MOVED_FROM, str(source))


def restore(p: Pending) -> None:
    """Put back what was at ``p.path`` before the change."""
    path = p.path
    if p.before.kind == MOVED_FROM:
        if path.exists():
            os.rename(path, p.before.data)
        return
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    if p.before.kind == LINK:
        os.symlink(p.before.data, path)
    elif p.before.kind == FILE:
        path.write_bytes(p.before.data)


JOURNAL: Journal | None = Journal() if os.environ.get(ENV) == "1" else None


def lose_unsynced(where: str) -> int:
    """Undo every change not yet durable (what a power cut at ``where`` would lose); say so on stderr
    (the tests check the mode was on). Returns how many."""
    if JOURNAL is None:
        return 0
    lost = JOURNAL.to_undo()
    for p in lost:
        restore(p)
    JOURNAL.pending.clear()
    print(f"power loss at {where}: {len(lost)} change(s) not yet fsynced undone", file=sys.stderr, flush=True)
    return len(lost)
