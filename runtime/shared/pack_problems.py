"""Collects a content pack's problems as `file:line: field: expected ...` lines."""

from __future__ import annotations

from pathlib import Path


class PackProblems:
    def __init__(self, file: Path, lines: dict[str, int]):
        self.file, self.lines, self.items = file, lines, []

    def add(self, field: str, expected: str) -> None:
        self.items.append(f"{self.file}:{self._line(field)}: {field}: expected {expected}")

    def _line(self, field: str) -> int:
        while field and field not in self.lines:
            shorter = field.rsplit(".", 1)[0] if "." in field else field.rsplit("[", 1)[0]
            if shorter == field:
                break
            field = shorter
        return self.lines.get(field, 1)


SHAPE_ERRORS = (TypeError, ValueError, AttributeError, KeyError, IndexError)


def parse_guarded(parse, p: PackProblems, *args):
    """Run a pack parser; a value of an unexpected kind that slipped past the field checks becomes
    one more problem naming the file, instead of a crash (fuzzing finds these)."""
    try:
        return parse(*args)
    except SHAPE_ERRORS as err:
        p.add("(structure)", f"values of the documented kinds; one broke the parser ({type(err).__name__}: {err})")
        return None
