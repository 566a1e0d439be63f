"""The `intents:` list of a content pack: questions, approved answers and what admins add.

An intent is the simplest `{id, questions, answer}` (the ../shared mall shape) plus,
optionally: answer variants (a list instead of a string), a `title` used when the
kiosk asks which of two intents was meant, `answer_when` wording for a closed venue
or a day without events, `followups` that only count right after this intent, and
cues in the text ([smile], [wave]). See docs/content-pack.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runtime.shared.pack_problems import PackProblems

from .answer_text import CUES, PLACEHOLDERS, placeholders, split_cues, unknown_cues

CONDITIONS = ("closed", "no_events")
# The longest answer a visitor is asked to stand through, in spoken characters (cues left out): about
# 45 s at a kiosk's pace (Mandarin ~4.5 characters a second, English ~14). The longest answer of the
# project's own and benchmark packs is 130 (zh) and 466 (en). A longer one belongs in a follow-up.
MAX_ANSWER_CHARS = {"zh": 200, "en": 600}


@dataclass(frozen=True)
class FollowUp:
    id: str
    questions: dict[str, tuple[str, ...]]
    variants: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Intent:
    id: str
    questions: dict[str, tuple[str, ...]]
    answers: dict[str, str]  # the first variant per language
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    title: dict[str, str] = field(default_factory=dict)
    when: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # condition -> lang -> variants
    followups: tuple[FollowUp, ...] = ()

    def answer_variants(self, lang: str) -> tuple[str, ...]:
        return self.variants.get(lang) or (self.answers[lang],)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def parse_intents(raw: Any, languages: list[str], has_schedule: bool, p: PackProblems) -> list[Intent]:
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
        questions = _questions(item.get("questions"), f"{where}.questions", languages, p)
        variants = _answers(item.get("answer"), f"{where}.answer", languages, has_schedule, p, required=True)
        title = item.get("title", {})
        if not isinstance(title, dict) or not all(_text(v) for v in title.values()):
            p.add(f"{where}.title", "a mapping of language to a short name of the topic")
            title = {}
        when = {}
        raw_when = item.get("answer_when", {})
        if not isinstance(raw_when, dict):
            p.add(f"{where}.answer_when", f"a mapping from {list(CONDITIONS)} to answers per language")
            raw_when = {}
        for condition, answers in raw_when.items():
            if condition not in CONDITIONS:
                p.add(f"{where}.answer_when.{condition}", f"one of {list(CONDITIONS)}")
                continue
            if not has_schedule:
                p.add(f"{where}.answer_when.{condition}", "a `schedule:` in the pack to decide it from")
            when[condition] = _answers(answers, f"{where}.answer_when.{condition}", languages, has_schedule, p,
                                       required=True)
        followups = []
        for j, fu in enumerate(item.get("followups") or []):
            fwhere = f"{where}.followups[{j}]"
            if not isinstance(fu, dict):
                p.add(fwhere, "a mapping with questions and answer")
                continue
            followups.append(FollowUp(
                str(fu.get("id") or f"{intent_id}.followup{j + 1}"),
                _questions(fu.get("questions"), f"{fwhere}.questions", languages, p),
                _answers(fu.get("answer"), f"{fwhere}.answer", languages, has_schedule, p, required=True)))
        intents.append(Intent(intent_id, questions, {k: v[0] for k, v in variants.items()}, variants,
                              {k: str(v).strip() for k, v in title.items()}, when, tuple(followups)))
    return intents


def _questions(raw: Any, where: str, languages: list[str], p: PackProblems) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        p.add(where, "a mapping of language to a list of example questions")
        return {}
    parsed = {}
    for lang in languages:
        qs = raw.get(lang)
        if not isinstance(qs, list) or not qs or not all(_text(q) for q in qs):
            p.add(f"{where}.{lang}", "a non-empty list of question strings")
        else:
            parsed[lang] = tuple(str(q).strip() for q in qs)
    for lang in raw:
        if lang not in languages:
            p.add(f"{where}.{lang}", f"a language listed in `languages` {languages}")
    return parsed


def _answers(raw: Any, where: str, languages: list[str], has_schedule: bool, p: PackProblems,
             required: bool) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        p.add(where, "a mapping of language to the approved answer (or a list of variants)")
        return {}
    parsed = {}
    for lang in languages:
        value = raw.get(lang)
        options = value if isinstance(value, list) else [value]
        if not options or not all(_text(v) for v in options):
            if required:
                p.add(f"{where}.{lang}", "a non-empty answer string, or a list of answer variants")
            continue
        for text in options:
            spoken = len(split_cues(text)[0])
            if spoken > MAX_ANSWER_CHARS.get(lang, 600):
                p.add(f"{where}.{lang}", f"an answer of at most {MAX_ANSWER_CHARS.get(lang, 600)} spoken characters "
                                         f"(got {spoken}); move the rest to a follow-up")
            for cue in unknown_cues(text):
                p.add(f"{where}.{lang}", f"cues from {list(CUES)} (got [{cue}])")
            for name in placeholders(text):
                if name not in PLACEHOLDERS:
                    p.add(f"{where}.{lang}", f"placeholders from {list(PLACEHOLDERS)} (got {{{name}}})")
                elif not has_schedule:
                    p.add(f"{where}.{lang}", f"a `schedule:` in the pack to fill {{{name}}} from")
        parsed[lang] = tuple(str(v).strip() for v in options)
    for lang in raw:
        if lang not in languages:
            p.add(f"{where}.{lang}", f"a language listed in `languages` {languages}")
    return parsed
