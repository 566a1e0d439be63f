"""A pack being edited: the data of its `faq.yaml` as plain values, and the edits a form makes. Pure.

The draft is what `load_with_lines` reads from `faq.yaml` (mappings, lists, strings), so whatever the
form does not show (prompts, safety, disclosure, answer_when, follow-ups) is kept as it was. A field
is named by its path in the checker's own spelling (`intents[3].answer.en`, `venue.timezone`), so a
problem `content check` reports lands on the form field of the same name.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from runtime.shared.errors import ContentError

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
LANGS = ("zh", "en")


def parse_yaml(text: str, source: str = "faq.yaml") -> dict[str, Any]:
    """The data of a pack file, or ContentError naming `source`, the line and what YAML expected."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ContentError(f"{source}{where}: not valid YAML ({getattr(err, 'problem', None) or err})") from None
    if not isinstance(data, dict):
        raise ContentError(f"{source}: expected a mapping with venue, languages, fallback and intents "
                           f"at the top level, got {type(data).__name__}")
    return data


def dump_yaml(data: dict[str, Any]) -> str:
    """The pack file for the data: UTF-8 text (Mandarin as it is), keys in the draft's order."""
    header = "# Written by the edge-avatar console's content editor.\n"
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100)


def split_path(path: str) -> list[str | int]:
    """'intents[3].answer.en' -> ['intents', 3, 'answer', 'en']."""
    steps: list[str | int] = []
    for m in _STEP.finditer(path):
        steps.append(int(m.group(2)) if m.group(2) is not None else m.group(1))
    if not steps:
        raise ContentError(f"field {path!r}: expected a field path like intents[0].answer.en")
    return steps


def join_path(steps: list[str | int]) -> str:
    out = ""
    for s in steps:
        out += f"[{s}]" if isinstance(s, int) else (f".{s}" if out else s)
    return out


def get_at(data: Any, path: str, default: Any = None) -> Any:
    node = data
    for step in split_path(path):
        if isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node) or isinstance(step, str) and isinstance(node, dict) and step in node:
            node = node[step]
        else:
            return default
    return node


def set_at(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `data` with the field at `path` set (mappings on the way are made; None removes it)."""
    if value is None and get_at(data, path) is None:
        return copy.deepcopy(data)      # removing what is not there: make no empty mappings on the way
    out = copy.deepcopy(data)
    steps = split_path(path)
    node: Any = out
    for i, step in enumerate(steps[:-1]):
        nxt = steps[i + 1]
        if isinstance(step, int):
            if not isinstance(node, list) or not 0 <= step < len(node):
                raise ContentError(f"field {path!r}: no item {step} in {join_path(steps[:i]) or 'the pack'}")
            if not isinstance(node[step], (dict, list)):
                node[step] = [] if isinstance(nxt, int) else {}
            node = node[step]
        else:
            if not isinstance(node, dict):
                raise ContentError(f"field {path!r}: {join_path(steps[:i]) or 'the pack'} is not a mapping")
            if not isinstance(node.get(step), (dict, list)):
                node[step] = [] if isinstance(nxt, int) else {}
            node = node[step]
    last = steps[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or not 0 <= last <= len(node):
            raise ContentError(f"field {path!r}: no item {last} to set")
        if last == len(node):
            node.append(value)
        else:
            node[last] = value
    elif value is None:
        if isinstance(node, dict):
            node.pop(last, None)
    else:
        node[last] = value
    return out


def intents(data: dict[str, Any]) -> list[dict[str, Any]]:
    raw = data.get("intents")
    return [i for i in raw if isinstance(i, dict)] if isinstance(raw, list) else []


def intent_index(data: dict[str, Any], intent_id: str) -> int:
    raw = data.get("intents") if isinstance(data.get("intents"), list) else []
    for i, item in enumerate(raw):
        if isinstance(item, dict) and item.get("id") == intent_id:
            return i
    raise ContentError(f"intent {intent_id!r}: not in the draft")


def add_intent(data: dict[str, Any], intent_id: str) -> dict[str, Any]:
    """A new, empty intent at the end (the checker then asks for its questions and answers)."""
    if not re.fullmatch(r"[a-z0-9_.-]+", intent_id or ""):
        raise ContentError(f"intent id {intent_id!r}: expected lower-case letters, digits, _ . or -")
    if any(i.get("id") == intent_id for i in intents(data)):
        raise ContentError(f"intent id {intent_id!r}: already used")
    langs = [lang for lang in data.get("languages") or [] if lang in LANGS] or ["en"]
    out = copy.deepcopy(data)
    if not isinstance(out.get("intents"), list):
        out["intents"] = []
    out["intents"].append({"id": intent_id, "questions": {lang: [] for lang in langs},
                           "answer": {lang: "" for lang in langs}})
    return out


def remove_intent(data: dict[str, Any], index: int) -> dict[str, Any]:
    out = copy.deepcopy(data)
    if not isinstance(out.get("intents"), list) or not 0 <= index < len(out["intents"]):
        raise ContentError(f"intents[{index}]: no such intent")
    del out["intents"][index]
    return out


def add_example(data: dict[str, Any], intent_id: str, lang: str, question: str) -> dict[str, Any]:
    """"Add as example": the question joins the intent's examples in that language (once)."""
    question = question.strip()
    if not question:
        raise ContentError("question: expected a non-empty example question")
    i = intent_index(data, intent_id)
    path = f"intents[{i}].questions.{lang}"
    current = get_at(data, path)
    current = list(current) if isinstance(current, list) else []
    if question in current:
        return copy.deepcopy(data)
    return set_at(data, path, current + [question])
