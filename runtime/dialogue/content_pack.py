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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from runtime.safety.kinds import SafetyKind
from runtime.safety.wording import VenueSafety
from runtime.shared.errors import ContentError
from runtime.shared.pack_problems import PackProblems, parse_guarded
from runtime.shared.yaml_lines import load_with_lines

from .pack_intents import FollowUp, Intent, parse_intents
from .schedule import Schedule, parse_schedule

__all__ = ["ContentPack", "FollowUp", "Intent", "check_content_pack", "load_content_pack"]

_LOGGER = logging.getLogger(__name__)

PACK_FILE = "faq.yaml"
SUPPORTED_LANGUAGES = ("zh", "en")


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
    schedule: Schedule | None = None
    # Rewordings of the kiosk's own lines (clarify, repeat_nothing, language_switched, ...).
    prompts: dict[str, dict[str, str]] = field(default_factory=dict)
    # Where help is at this venue, for the safety answers (which the pack can add to, never remove).
    safety: VenueSafety = field(default_factory=VenueSafety)

    def intent(self, intent_id: str) -> Intent:
        for intent in self.intents:
            if intent.id == intent_id:
                return intent
        raise KeyError(intent_id)


def load_content_pack(folder: Path) -> ContentPack:
    """Load and validate a pack folder; raise ContentError listing its problems."""
    pack, problems = _load(folder)
    if problems:
        raise ContentError("; ".join(problems[:5]) +
                           (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
    assert pack is not None
    _LOGGER.info("content pack %s: %d intents in %s", pack.venue_id, len(pack.intents),
                 "/".join(pack.languages))
    return pack


def check_content_pack(folder: Path) -> list[str]:
    """Every problem in a pack, one line each (empty when the pack is good)."""
    try:
        return _load(folder)[1]
    except ContentError as err:   # not even YAML
        return [str(err)]


def _load(folder: Path) -> tuple[ContentPack | None, list[str]]:
    folder = Path(folder)
    if not folder.is_dir():
        raise ContentError(f"{folder}: content pack folder not found")
    file = folder / PACK_FILE
    data, lines = load_with_lines(file)
    problems = PackProblems(file, lines)
    pack = parse_guarded(_parse, problems, folder, file, data, problems)
    return pack, problems.items


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _parse(folder: Path, file: Path, data: Any, p: PackProblems) -> ContentPack | None:
    if not isinstance(data, dict):
        p.add("(top level)", "a mapping with venue, languages, fallback and intents")
        return None
    venue = data.get("venue")
    if not isinstance(venue, dict) or not _text(venue.get("id")):
        p.add("venue.id", "a non-empty string naming the venue")
        venue = venue if isinstance(venue, dict) else {}
    languages = data.get("languages")
    if (not isinstance(languages, list) or not languages
            or any(not isinstance(lang, str) or lang not in SUPPORTED_LANGUAGES for lang in languages)):
        p.add("languages", f"a list of language codes from {list(SUPPORTED_LANGUAGES)}")
        languages = [lang for lang in (languages if isinstance(languages, list) else [])
                     if isinstance(lang, str) and lang in SUPPORTED_LANGUAGES] or ["en"]
    default = data.get("default_language", languages[0])
    if default not in languages:
        p.add("default_language", f"one of the pack's languages {languages}")
    timezone = str(venue.get("timezone", "UTC"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        p.add("venue.timezone", f"an IANA timezone like Asia/Shanghai (got {timezone!r})")
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
    schedule = parse_schedule(data.get("schedule"), languages, p.add)
    intents = parse_intents(data.get("intents"), languages, schedule is not None, p)
    synonyms = _synonyms(data.get("synonyms", {}), p)
    prompts = _prompts(data.get("prompts", {}), p)
    safety = _safety(data.get("safety", {}), p)
    disclosure = data.get("disclosure", {})
    if not isinstance(disclosure, dict):
        p.add("disclosure", "a mapping of language to the spoken AI disclosure")
        disclosure = {}
    for lang, text in disclosure.items():
        if not _text(text):
            p.add(f"disclosure.{lang}", "non-empty wording (the AI disclosure cannot be switched off)")
    return ContentPack(
        path=folder, venue_id=str(venue.get("id", "")), venue_name=dict(name),
        timezone=timezone, languages=tuple(languages),
        default_language=default if default in languages else languages[0],
        fallback={k: str(v).strip() for k, v in fallback.items()}, intents=tuple(intents),
        disclosure={k: str(v).strip() for k, v in disclosure.items() if _text(v)},
        synonyms=synonyms, schedule=schedule, prompts=prompts, safety=safety,
        digest=hashlib.sha256(file.read_bytes()).hexdigest())


def _synonyms(raw: Any, p: PackProblems) -> dict[str, dict[str, tuple[str, ...]]]:
    if not isinstance(raw, dict):
        p.add("synonyms", "a mapping of concept name to {language: [words or phrases]}")
        return {}
    groups = {}
    for concept, by_lang in raw.items():
        if (not isinstance(by_lang, dict) or not by_lang
                or not all(isinstance(v, list) and v and all(_text(x) for x in v) for v in by_lang.values())):
            p.add(f"synonyms.{concept}", "a mapping of language to a non-empty list of words or phrases")
            continue
        groups[str(concept)] = {str(lang): tuple(str(x) for x in v) for lang, v in by_lang.items()}
    return groups


def _prompts(raw: Any, p: PackProblems) -> dict[str, dict[str, str]]:
    from .prompts import PROMPTS  # the kiosk's own lines and their default wording
    if not isinstance(raw, dict):
        p.add("prompts", f"a mapping from {sorted(PROMPTS)} to wording per language")
        return {}
    parsed = {}
    for name, by_lang in raw.items():
        if name not in PROMPTS:
            p.add(f"prompts.{name}", f"one of {sorted(PROMPTS)}")
            continue
        if not isinstance(by_lang, dict) or not all(_text(v) for v in by_lang.values()):
            p.add(f"prompts.{name}", "a mapping of language to non-empty wording")
            continue
        parsed[name] = {str(k): str(v).strip() for k, v in by_lang.items()}
    return parsed


SAFETY_FIELDS = ("staff_desk", "first_aid", "security_phone", "add")


def _safety(raw: Any, p: PackProblems) -> VenueSafety:
    """`safety:` gives the venue's places and may add a sentence per kind; the layer itself stays."""
    if not isinstance(raw, dict):
        p.add("safety", f"a mapping with any of {list(SAFETY_FIELDS)}")
        return VenueSafety()
    for key in raw:
        if key not in SAFETY_FIELDS:
            p.add(f"safety.{key}", f"one of {list(SAFETY_FIELDS)}: the safety answers (emergency, lost child, "
                                   "scam, personal data) are built in and cannot be switched off or replaced")
    places = {}
    for key in ("staff_desk", "first_aid"):
        value = raw.get(key, {})
        if not isinstance(value, dict) or not all(_text(v) for v in value.values()):
            p.add(f"safety.{key}", "a mapping of language to a place, e.g. {en: the service desk on 1F}")
            value = {}
        places[key] = {str(k): str(v).strip() for k, v in value.items()}
    phone = raw.get("security_phone", "")
    if not isinstance(phone, (str, int)):
        p.add("safety.security_phone", "the venue security's phone number as text")
        phone = ""
    added = raw.get("add", {})
    kinds = [k.value for k in SafetyKind]
    if not isinstance(added, dict):
        p.add("safety.add", f"a mapping from {kinds} to {{language: an added sentence}}")
        added = {}
    extra = {}
    for kind, by_lang in added.items():
        if kind not in kinds or not isinstance(by_lang, dict) or not all(_text(v) for v in by_lang.values()):
            p.add(f"safety.add.{kind}", f"one of {kinds}, mapping language to an added sentence")
            continue
        extra[kind] = {str(k): str(v).strip() for k, v in by_lang.items()}
    return VenueSafety(places["staff_desk"], places["first_aid"], str(phone).strip(), extra)
