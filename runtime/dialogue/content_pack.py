"""Content packs: a venue's questions and approved answers, validated once at load.

A pack is a folder holding `faq.yaml` (the shape of ../shared/venues/mall-demo).
Every problem is reported as `file:line: field: what was expected`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ContentError
from .yaml_lines import load_with_lines

_LOGGER = logging.getLogger(__name__)

PACK_FILE = "faq.yaml"
SUPPORTED_LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Intent:
    id: str
    questions: dict[str, tuple[str, ...]]
    answers: dict[str, str]


@dataclass(frozen=True)
class ContentPack:
    path: Path
    venue_id: str
    venue_name: dict[str, str]
    timezone: str
    languages: tuple[str, ...]
    default_language: str
    fallback: dict[str, str]
    intents: tuple[Intent, ...]
    digest: str  # sha256 of faq.yaml: every answer is traceable to this exact pack
    # Optional wording of the spoken AI disclosure per language; it can be reworded, never emptied.
    disclosure: dict[str, str] = field(default_factory=dict)
    # The pack's own synonym groups: concept -> language -> phrases (joins the built-in lexicon).
    synonyms: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)

    def intent(self, intent_id: str) -> Intent:
        for intent in self.intents:
            if intent.id == intent_id:
                return intent
        raise KeyError(intent_id)


class _Problems:
    def __init__(self, file: Path, lines: dict[str, int]):
        self.file, self.lines, self.items = file, lines, []

    def add(self, field: str, expected: str) -> None:
        line = self._line(field)
        self.items.append(f"{self.file}:{line}: {field}: expected {expected}")

    def _line(self, field: str) -> int:
        while field and field not in self.lines:
            shorter = field.rsplit(".", 1)[0] if "." in field else field.rsplit("[", 1)[0]
            if shorter == field:
                break
            field = shorter
        return self.lines.get(field, 1)


def load_content_pack(folder: Path) -> ContentPack:
    """Load and validate a pack folder; raise ContentError listing every problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ContentError(f"{folder}: content pack folder not found")
    file = folder / PACK_FILE
    data, lines = load_with_lines(file)
    problems = _Problems(file, lines)
    pack = _parse(folder, file, data, problems)
    if problems.items:
        raise ContentError("; ".join(problems.items[:5]) +
                           (f" (and {len(problems.items) - 5} more)" if len(problems.items) > 5 else ""))
    assert pack is not None
    _LOGGER.info("content pack %s: %d intents in %s", pack.venue_id, len(pack.intents),
                 "/".join(pack.languages))
    return pack


def check_content_pack(folder: Path) -> list[str]:
    """Every problem in a pack, one line each (empty when the pack is good)."""
    try:
        load_content_pack(folder)
    except ContentError as err:
        return str(err).split("; ")
    return []


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _parse(folder: Path, file: Path, data: Any, p: _Problems) -> ContentPack | None:
    if not isinstance(data, dict):
        p.add("(top level)", "a mapping with venue, languages, fallback and intents")
        return None
    venue = data.get("venue")
    if not isinstance(venue, dict) or not _text(venue.get("id")):
        p.add("venue.id", "a non-empty string naming the venue")
        venue = venue if isinstance(venue, dict) else {}
    languages = data.get("languages")
    if (not isinstance(languages, list) or not languages
            or any(lang not in SUPPORTED_LANGUAGES for lang in languages)):
        p.add("languages", f"a list of language codes from {list(SUPPORTED_LANGUAGES)}")
        languages = [lang for lang in (languages or []) if lang in SUPPORTED_LANGUAGES] or ["en"]
    default = data.get("default_language", languages[0])
    if default not in languages:
        p.add("default_language", f"one of the pack's languages {languages}")
    name = venue.get("name", {})
    if isinstance(name, str):
        name = {lang: name for lang in languages}
    fallback = data.get("fallback")
    if not isinstance(fallback, dict):
        p.add("fallback", "a mapping of language to the answer given when no intent matches")
        fallback = {}
    for lang in languages:
        if not _text(fallback.get(lang)):
            p.add(f"fallback.{lang}", "a non-empty fallback answer")
    intents = _parse_intents(data.get("intents"), languages, p)
    disclosure = data.get("disclosure", {})
    if not isinstance(disclosure, dict):
        p.add("disclosure", "a mapping of language to the spoken AI disclosure")
        disclosure = {}
    for lang, text in disclosure.items():
        if not _text(text):
            p.add(f"disclosure.{lang}", "non-empty wording (the AI disclosure cannot be switched off)")
    return ContentPack(
        path=folder, venue_id=str(venue.get("id", "")), venue_name=dict(name),
        timezone=str(venue.get("timezone", "UTC")), languages=tuple(languages),
        default_language=default if default in languages else languages[0],
        fallback={k: str(v).strip() for k, v in fallback.items()}, intents=tuple(intents),
        disclosure={k: str(v).strip() for k, v in disclosure.items() if _text(v)},
        digest=hashlib.sha256(file.read_bytes()).hexdigest())


def _parse_intents(raw: Any, languages: list[str], p: _Problems) -> list[Intent]:
    if not isinstance(raw, list) or not raw:
        p.add("intents", "a non-empty list of intents")
        return []
    intents, seen = [], set()
    for i, item in enumerate(raw):
        where = f"intents[{i}]"
        if not isinstance(item, dict):
            p.add(where, "a mapping with id, questions and answer")
            continue
        intent_id = item.get("id")
        if not _text(intent_id):
            p.add(f"{where}.id", "a non-empty string")
            continue
        if intent_id in seen:
            p.add(f"{where}.id", f"a unique id ({intent_id!r} is used twice)")
        seen.add(intent_id)
        questions = item.get("questions")
        answers = item.get("answer")
        if not isinstance(questions, dict):
            p.add(f"{where}.questions", "a mapping of language to a list of example questions")
            questions = {}
        if not isinstance(answers, dict):
            p.add(f"{where}.answer", "a mapping of language to the approved answer")
            answers = {}
        parsed_q: dict[str, tuple[str, ...]] = {}
        for lang in languages:
            qs = questions.get(lang)
            if not isinstance(qs, list) or not qs or not all(_text(q) for q in qs):
                p.add(f"{where}.questions.{lang}", "a non-empty list of question strings")
            else:
                parsed_q[lang] = tuple(str(q).strip() for q in qs)
            if not _text(answers.get(lang)):
                p.add(f"{where}.answer.{lang}", "a non-empty answer string")
        for lang in set(questions) | set(answers):
            if lang not in languages:
                p.add(f"{where}.questions.{lang}" if lang in questions else f"{where}.answer.{lang}",
                      f"a language listed in `languages` {languages}")
        intents.append(Intent(intent_id, parsed_q,
                              {k: str(v).strip() for k, v in answers.items() if _text(v)}))
    return intents
