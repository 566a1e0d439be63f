"""The editor's form: which fields it shows for a draft, and a field's text back into pack data. Pure.

Each field is named by its path in the checker's spelling, so `content check` problems land on it
(draft_check.nearest_field). Turning a field's text into data never fails: a half-typed line becomes
what it says (an hours line without a time, an event without its Mandarin words) and the checker
names what is missing at that field — the editor's text is never thrown away.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from runtime.dialogue.answer_text import CUES
from runtime.shared.errors import ContentError

from .draft_model import LANGS, get_at

LANG_NAMES = {"zh": "Mandarin", "en": "English"}
KINDS = ("text", "langs", "lines", "answer", "pairs", "events", "synonyms")
_LIST_SPLIT = re.compile(r"\s*[,，、;；]\s*")


@dataclass(frozen=True)
class Field:
    path: str
    label: str
    kind: str
    text: str          # what the form shows
    hint: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    fields: tuple[Field, ...]
    intent_index: int | None = None


def pack_languages(data: dict[str, Any]) -> list[str]:
    langs = data.get("languages")
    return [x for x in langs if x in LANGS] if isinstance(langs, list) else []


def sections(data: dict[str, Any]) -> list[Section]:
    langs = pack_languages(data) or ["en"]
    venue = [Field("venue.id", "Venue id", "text", _str(get_at(data, "venue.id"))),
             *(Field(f"venue.name.{lang}", f"Venue name ({LANG_NAMES[lang]})", "text",
                     _str(get_at(data, f"venue.name.{lang}"))) for lang in langs),
             Field("venue.timezone", "Timezone", "text", _str(get_at(data, "venue.timezone")),
                   "an IANA timezone, e.g. Asia/Shanghai"),
             Field("languages", "Languages", "langs", ", ".join(map(str, data.get("languages") or [])),
                   "zh, en"),
             Field("default_language", "Default language", "text", _str(data.get("default_language")))]
    fallback = [Field(f"fallback.{lang}", f"When no intent matches ({LANG_NAMES[lang]})", "answer",
                      _answer_text(get_at(data, f"fallback.{lang}"))) for lang in langs]
    out = [Section("Venue", tuple(venue)), Section("Fallback answer", tuple(fallback)),
           Section("Schedule", (
               Field("schedule.hours", "Opening hours", "pairs", _pairs_text(get_at(data, "schedule.hours")),
                     "one line per day or range: mon-fri: 10:00-22:00 / sun: closed"),
               Field("schedule.special", "Special days", "pairs", _pairs_text(get_at(data, "schedule.special")),
                     "one line per date: 2026-12-31: 10:00-18:00 / 2027-01-01: closed"),
               Field("schedule.events", "Events", "events", _events_text(get_at(data, "schedule.events"), langs),
                     "one line per event: from | to | " + " | ".join(f"{lang} words" for lang in langs)))),
           Section("Synonyms", (Field("synonyms", "Synonym groups", "synonyms",
                                      _synonyms_text(data.get("synonyms")),
                                      "one line per concept: cinema | zh: 电影院, 影城 | en: cinema, movies"),))]
    raw = data.get("intents") if isinstance(data.get("intents"), list) else []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        where = f"intents[{i}]"
        fields = [Field(f"{where}.id", "Intent id", "text", _str(item.get("id")))]
        for lang in langs:
            fields.append(Field(f"{where}.questions.{lang}", f"Example questions ({LANG_NAMES[lang]})", "lines",
                                "\n".join(map(str, get_at(item, f"questions.{lang}") or [])), "one per line"))
        for lang in langs:
            fields.append(Field(f"{where}.answer.{lang}", f"Answer ({LANG_NAMES[lang]})", "answer",
                                _answer_text(get_at(item, f"answer.{lang}")),
                                "one variant per line; cues: " + " ".join(f"[{c}]" for c in CUES)))
        out.append(Section(f"Intent: {_str(item.get('id')) or i + 1}", tuple(fields), i))
    return out


def form_fields(data: dict[str, Any]) -> set[str]:
    return {f.path for s in sections(data) for f in s.fields}


def field_kind(data: dict[str, Any], path: str) -> str:
    for s in sections(data):
        for f in s.fields:
            if f.path == path:
                return f.kind
    raise ContentError(f"field {path!r}: not a field of the editor")


def field_value(kind: str, text: str, langs: list[str] | tuple[str, ...] = LANGS) -> Any:
    """The pack data for a field's text (see the module doc: never fails on half-typed input);
    `langs`: the pack's languages, the order of an event line's words."""
    text = (text or "").replace("\r\n", "\n")
    if kind == "text":
        return text.strip()
    if kind == "langs":
        return [x for x in _LIST_SPLIT.split(text.strip()) if x]
    if kind == "lines":
        return [line.strip() for line in text.split("\n") if line.strip()]
    if kind == "answer":
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        return lines[0] if len(lines) == 1 else (lines or "")
    if kind == "pairs":
        out = {}
        for line in text.split("\n"):
            if line.strip():
                key, _, value = line.partition(":")
                out[key.strip()] = value.strip() or None
        return out or None
    if kind == "events":
        return _events_value(text, list(langs)) or None
    if kind == "synonyms":
        return _synonyms_value(text) or None
    raise ContentError(f"field kind {kind!r}: expected one of {KINDS}")


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _answer_text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(map(str, value))
    return _str(value)


def _pairs_text(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    return "\n".join(f"{k}: {'closed' if v is None or v is False else v}" for k, v in value.items())


def _events_text(value: Any, langs: list[str]) -> str:
    if not isinstance(value, list):
        return ""
    rows = []
    for e in value:
        if isinstance(e, dict):
            rows.append(" | ".join([_str(e.get("from")), _str(e.get("to", e.get("from")))]
                                   + [_str(e.get(lang)) for lang in langs]))
    return "\n".join(rows)


def _events_value(text: str, langs: list[str]) -> list[dict[str, Any]]:
    events = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        event: dict[str, Any] = {"from": _date_or_text(parts[0]),
                                 "to": _date_or_text(parts[1] if len(parts) > 1 and parts[1] else parts[0])}
        for lang, words in zip(langs, parts[2:]):
            if words:
                event[lang] = words
        events.append(event)
    return events


def _date_or_text(text: str) -> Any:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def _synonyms_text(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    rows = []
    for concept, by_lang in value.items():
        parts = [str(concept)]
        if isinstance(by_lang, dict):
            parts += [f"{lang}: {', '.join(map(str, words)) if isinstance(words, list) else words}"
                      for lang, words in by_lang.items()]
        rows.append(" | ".join(parts))
    return "\n".join(rows)


def _synonyms_value(text: str) -> dict[str, Any]:
    groups: dict[str, Any] = {}
    for line in text.split("\n"):
        if not line.strip():
            continue
        concept, *rest = [p.strip() for p in line.split("|")]
        by_lang: dict[str, Any] = {}
        for part in rest:
            lang, _, words = part.partition(":")
            by_lang[lang.strip()] = [w for w in _LIST_SPLIT.split(words.strip()) if w]
        groups[concept] = by_lang
    return groups
