"""Bundle versions: ``1.4.2``, ``2026.11.25``, ``1.0.0-rc2`` (pure)."""

from __future__ import annotations

import re

_VERSION = re.compile(r"^(\d{1,9}(?:\.\d{1,9}){0,3})(?:-([A-Za-z0-9]{1,16}))?$")


class VersionError(ValueError):
    pass


def parse_version(text: str) -> tuple:
    """A sortable key; a pre-release (``-rc2``) sorts before its release."""
    m = _VERSION.match(text or "")
    if not m:
        raise VersionError(f"version {text!r}: expected numbers separated by dots, like 1.4.2 or "
                           f"2026.11.25, optionally with a pre-release tag like 1.5.0-rc1")
    numbers = tuple(int(n) for n in m.group(1).split("."))
    numbers += (0,) * (4 - len(numbers))
    return numbers + ((0, m.group(2)) if m.group(2) else (1, ""))


def is_newer(candidate: str, installed: str | None) -> bool:
    return installed is None or parse_version(candidate) > parse_version(installed)
