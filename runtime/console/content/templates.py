"""The packs an editor can start a draft from: the sample mall and the project's default pack."""

from __future__ import annotations

from pathlib import Path

from runtime.dialogue.content_pack import PACK_FILE
from runtime.shared.errors import ContentError

_HERE = Path(__file__).parent / "pack_templates"
_DEFAULT = Path(__file__).resolve().parents[2] / "content" / "default"

TEMPLATES: dict[str, tuple[Path, str]] = {
    "mall-demo": (_HERE / "mall-demo", "Sunshine Place Mall, Beijing (24 intents, zh + en)"),
    "science-museum": (_DEFAULT, "the kiosk's default pack: a science museum with a schedule and synonyms"),
}


def template_text(name: str) -> str:
    """The faq.yaml text of template `name` (ContentError naming the field when there is none)."""
    if name not in TEMPLATES:
        raise ContentError(f"template: expected one of {sorted(TEMPLATES)}, got {name!r}")
    return (TEMPLATES[name][0] / PACK_FILE).read_text(encoding="utf-8")
