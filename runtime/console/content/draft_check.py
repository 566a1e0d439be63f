"""Check a draft with the checker `edge-avatar content check` uses, and put each problem at its field.

The draft is written as a pack folder (`faq.yaml`) in a temporary folder and given to
`check_content_pack`: there is one checker. Each of its lines, `file:line: field: expected ...`, is
read back into (line, field, message), and the field is mapped to the nearest field the form shows
(`intents[2].answer.en` itself, else `intents[2].answer`, ..., else the form's "whole pack" box).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from runtime.dialogue.content_pack import PACK_FILE, check_content_pack

from .draft_model import dump_yaml

WHOLE_PACK = "(pack)"   # the form's box for problems no field of it shows
_LINE = re.compile(r"^(?P<file>.*?):(?P<line>\d+): (?P<field>[^:]+?): (?P<message>expected .*)$", re.DOTALL)
_BAD_FILE = re.compile(r"^(?P<file>.*?)(?::(?P<line>\d+))?: (?P<message>.*)$", re.DOTALL)


@dataclass(frozen=True)
class FieldProblem:
    field: str        # the checker's field, e.g. intents[2].answer.en
    form_field: str   # the form field it is shown at (the nearest one the form has)
    line: int         # line in the draft's faq.yaml as written
    message: str      # "expected ..." as the checker says it

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def check_draft(data: dict[str, Any], form_fields: Iterable[str] = ()) -> list[FieldProblem]:
    """Every problem `content check` finds in the draft, each with the form field to show it at."""
    with tempfile.TemporaryDirectory(prefix="console-check-") as tmp:
        folder = Path(tmp) / "pack"
        write_pack(data, folder)
        lines = check_content_pack(folder)
    return map_problems(lines, set(form_fields))


def write_pack(data: dict[str, Any], folder: Path) -> Path:
    """The draft as a pack folder: `faq.yaml` (the only file of a content pack)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PACK_FILE).write_text(dump_yaml(data), encoding="utf-8")
    return folder


def map_problems(lines: Iterable[str], form_fields: set[str]) -> list[FieldProblem]:
    out = []
    for text in lines:
        m = _LINE.match(text)
        if m:
            field = m.group("field").strip()
            out.append(FieldProblem(field, nearest_field(field, form_fields), int(m.group("line")),
                                    m.group("message").strip()))
            continue
        bad = _BAD_FILE.match(text)   # not even YAML, or unreadable: the whole pack
        out.append(FieldProblem(WHOLE_PACK, WHOLE_PACK, int(bad.group("line") or 1) if bad else 1,
                                (bad.group("message") if bad else text).strip()))
    return out


def nearest_field(field: str, form_fields: set[str]) -> str:
    """The field itself when the form shows it, else its nearest parent the form shows, else WHOLE_PACK."""
    while field:
        if field in form_fields:
            return field
        shorter = field.rsplit("[", 1)[0] if field.endswith("]") else field.rsplit(".", 1)[0]
        if shorter == field:
            break
        field = shorter
    return WHOLE_PACK
