"""Labelled question sets (in-domain paraphrases and out-of-domain questions) and their scores.

A set file is YAML: `in_domain: {intent: {lang: [questions]}}` and
`out_of_domain: {lang: [questions]}`. Scoring is pure: any callable that maps
(text, lang) to an intent id or None can be scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from runtime.shared.errors import ContentError


@dataclass(frozen=True)
class LabelledQuestion:
    lang: str
    text: str
    intent: str | None  # None: out of domain, the fallback is right


@dataclass(frozen=True)
class SetScore:
    in_domain: int
    in_domain_right: int
    out_of_domain: int
    out_of_domain_right: int
    misses: tuple[tuple[LabelledQuestion, str | None], ...]

    @property
    def in_domain_rate(self) -> float:
        return self.in_domain_right / self.in_domain if self.in_domain else 0.0

    @property
    def out_of_domain_rate(self) -> float:
        return self.out_of_domain_right / self.out_of_domain if self.out_of_domain else 0.0


def load_question_set(path: Path) -> list[LabelledQuestion]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping with in_domain and out_of_domain")
    items = []
    for intent, by_lang in (data.get("in_domain") or {}).items():
        if not isinstance(by_lang, dict):
            raise ContentError(f"{path}: in_domain.{intent}: expected a mapping of language to questions")
        for lang, questions in by_lang.items():
            items += [LabelledQuestion(lang, str(q), intent) for q in questions]
    for lang, questions in (data.get("out_of_domain") or {}).items():
        items += [LabelledQuestion(lang, str(q), None) for q in questions]
    return items


def score(items: list[LabelledQuestion], classify: Callable[[str, str], str | None]) -> SetScore:
    counts = {"in": 0, "in_ok": 0, "out": 0, "out_ok": 0}
    misses = []
    for item in items:
        got = classify(item.text, item.lang)
        key = "in" if item.intent is not None else "out"
        counts[key] += 1
        if got == item.intent:
            counts[key + "_ok"] += 1
        else:
            misses.append((item, got))
    return SetScore(counts["in"], counts["in_ok"], counts["out"], counts["out_ok"], tuple(misses))
