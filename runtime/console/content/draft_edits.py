"""One edit of a draft at a time: a form field's text, or the whole faq.yaml, in; the new text and
its problems out. Pure but for the checker's temporary folder.

A draft is kept as its faq.yaml text (what a kiosk would get), so a draft whose YAML does not parse
yet is still kept whole; its form is shown again once it parses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtime.shared.errors import ContentError

from .draft_check import WHOLE_PACK, FieldProblem, check_draft
from .draft_model import dump_yaml, parse_yaml, set_at
from .editor_form import field_kind, field_value, form_fields, pack_languages

YAML_FIELD = "(yaml)"   # the form's "edit as YAML" box


@dataclass(frozen=True)
class Checked:
    text: str
    data: dict[str, Any] | None   # None: the text is not a pack file yet (the YAML box shows why)
    problems: tuple[FieldProblem, ...]

    def as_json(self) -> dict[str, Any]:
        return {"ok": not self.problems, "yaml_ok": self.data is not None,
                "problems": [p.as_json() for p in self.problems]}


def check_text(text: str) -> Checked:
    try:
        data = parse_yaml(text)
    except ContentError as err:
        line = _line_of(str(err))
        return Checked(text, None, (FieldProblem(YAML_FIELD, YAML_FIELD, line, str(err).split(": ", 1)[-1]),))
    return Checked(text, data, tuple(check_draft(data, form_fields(data) | {YAML_FIELD})))


def apply_field(text: str, path: str, raw: str) -> str:
    """The draft's new text after the form field `path` was set to `raw` (the YAML box: `raw` itself)."""
    if path == YAML_FIELD:
        return raw
    data = parse_yaml(text)
    value = field_value(field_kind(data, path), raw, pack_languages(data) or ["en"])
    return dump_yaml(set_at(data, path, value))


def _line_of(message: str) -> int:
    head = message.split(": ", 1)[0]
    tail = head.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 1


__all__ = ["WHOLE_PACK", "YAML_FIELD", "Checked", "apply_field", "check_text"]
