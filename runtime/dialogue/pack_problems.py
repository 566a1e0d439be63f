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
