"""Write one recipe's entry into `models_quantized/manifest.yaml`, between its BEGIN/END marker lines,
leaving every other entry (and its comments) as it was."""

from __future__ import annotations

import re
from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yaml"


def write_block(marker: str, block: str, manifest: Path = MANIFEST) -> None:
    """`block`: the entry's lines from `  # BEGIN {marker}…` to `  # END {marker}` (a new line after)."""
    text = manifest.read_text(encoding="utf-8")
    pattern = re.compile(rf"  # BEGIN {re.escape(marker)}.*?  # END {re.escape(marker)}\n", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    manifest.write_text(text, encoding="utf-8")
