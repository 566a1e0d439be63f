"""Cache keys (pure). A namespace per pack, voice and settings; an entry per piece of text in it.
Any change to the pack (its sha256), the voice or its settings gives another namespace: nothing kept
for the old one is ever played for the new."""

from __future__ import annotations

import hashlib
import json

FORMAT = 1   # bump when what an entry holds changes


def namespace(pack_sha256: str, voice_id: str, settings: dict[str, object]) -> str:
    blob = json.dumps({"format": FORMAT, "pack": pack_sha256, "voice": voice_id, "settings": settings},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


def entry_key(space: str, piece: str) -> str:
    """The file name stem of `piece` in namespace `space`."""
    return f"{space}-{hashlib.sha256(piece.encode('utf-8')).hexdigest()[:24]}"


def space_of(key: str) -> str:
    return key.split("-", 1)[0]
