"""Older copies of a cache file, removed once a new one is made.

A cache file whose name carries its source's version or hash (an aligned voice, a word table) is made
again when the source changes — a voice bundle or a package update — and the old copy would stay on
the card for ever (60–90 MB for a voice). Once the new copy is in place, the others of the same
family go. A process still mapping an old copy keeps reading it: the file is freed when it lets go.
"""

from __future__ import annotations

import glob
import logging
import re
from pathlib import Path

_LOGGER = logging.getLogger(__name__)


def remove_older_copies(current: Path, family: str) -> list[Path]:
    """Remove the files beside `current` whose names fully match the regular expression `family`
    (which `current`'s own name must match), other than `current`. Returns what was removed; a file
    that cannot be removed is logged and left."""
    current = Path(current)
    pattern = re.compile(family)
    if not pattern.fullmatch(current.name):
        raise ValueError(f"{current.name} is not of the family {family!r} it would prune")
    removed = []
    try:
        siblings = [p for p in current.parent.iterdir() if p.name != current.name and pattern.fullmatch(p.name)]
    except OSError as err:
        _LOGGER.warning("cache %s: older copies of %s not looked for (%s)", current.parent, current.name, err)
        return removed
    for old in siblings:
        try:
            size = old.lstat().st_size
            old.unlink()
        except OSError as err:
            _LOGGER.warning("cache: the older copy %s is left (%s)", old, err)
            continue
        _LOGGER.info("cache: removed the older copy %s (%.1f MB) now that %s is made", old.name, size / 1e6,
                     current.name)
        removed.append(old)
    return removed


def remove_partial_writes(target: Path) -> int:
    """Remove the temp files a writer of `target` left when it was killed mid-write (named
    `.<target name>.<anything>.tmp` beside it, as `tempfile.mkstemp` and the table writer name them).
    Call it only when no writer of `target` is running. Returns how many were removed."""
    target = Path(target)
    removed = 0
    try:
        partials = list(target.parent.glob(f".{glob.escape(target.name)}.*.tmp"))
    except OSError:
        return 0
    for partial in partials:
        try:
            partial.unlink()
            removed += 1
        except OSError as err:
            _LOGGER.warning("cache: the partial write %s is left (%s)", partial, err)
    return removed
