"""A draft as the kiosk would load it: the real `load_content_pack` on the draft written as a folder."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from runtime.dialogue.content_pack import ContentPack, load_content_pack

from .draft_check import write_pack


def load_draft(data: dict[str, Any]) -> ContentPack:
    """The draft as a ContentPack, or ContentError with the checker's problems (fix them first)."""
    with tempfile.TemporaryDirectory(prefix="console-pack-") as tmp:
        return load_content_pack(write_pack(data, Path(tmp) / "pack"))
