"""Cache keys (pure). A namespace per language, pack, voice and settings; an entry per piece of text
in it. Any change to the pack (its sha256), the voice or its settings gives another namespace: nothing
kept for the old one is ever played for the new. A namespace starts with its language, so building one
language's answers replaces that language's older namespaces only (`language_of`)."""

from __future__ import annotations

import hashlib
import json
import re

FORMAT = 1   # bump when what an entry holds changes


def namespace(pack_sha256: str, voice_id: str, settings: dict[str, object], language: str) -> str:
    blob = json.dumps({"format": FORMAT, "pack": pack_sha256, "voice": voice_id, "settings": settings},
                      sort_keys=True, ensure_ascii=False)
    return f"{_tag(language)}.{hashlib.sha256(blob.encode('utf-8')).hexdigest()[:20]}"


def language_of(space: str) -> str | None:
    """The language tag a namespace was made for; None for one made before namespaces had one."""
    return space.split(".", 1)[0] if "." in space else None


def same_language(space: str, language: str) -> bool:
    return language_of(space) == _tag(language)


def _tag(language: str) -> str:
    """The language as it can stand in a file name and in front of `entry_key`'s "-"."""
    return re.sub(r"[^a-z0-9]", "", language.lower()) or "xx"


def entry_key(space: str, piece: str) -> str:
    """The file name stem of `piece` in namespace `space`."""
    return f"{space}-{hashlib.sha256(piece.encode('utf-8')).hexdigest()[:24]}"


def space_of(key: str) -> str:
    return key.split("-", 1)[0]
