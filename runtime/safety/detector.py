"""Does a visitor's turn call for a safety answer? Pure: text in, a `SafetyCall` (or None) out.

Both languages' cues are read on every turn (visitors mix them: "我的wechat被盗了"). The ordinary
questions that share words with the kinds ("transfer to line 4", "the fire exit") are blanked first.
A scam is a strong cue on its own ("safe account", "don't tell anyone", a code to hand over), or a
story: a money action that someone else is directing, under pressure or a false authority. Priority:
a scam story that moves money, then emergency, lost child, any other scam cue, personal data.
"""

from __future__ import annotations

import re

from . import cues
from .kinds import SafetyCall, SafetyKind

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "＇": "'"})


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(_APOSTROPHES)).strip()


def without_benign(text: str) -> str:
    for pattern in cues.BENIGN.values():
        text = pattern.sub(" ", text)
    return text


def _found(table: dict[str, re.Pattern], text: str) -> str | None:
    for pattern in table.values():
        hit = pattern.search(text)
        if hit:
            return hit.group(0).strip()
    return None


def scam_story(text: str) -> str | None:
    """A money action someone else is directing under pressure; the cue, or None."""
    money = _found(cues.MONEY_ACTION, text)
    if money is None:
        return None
    directed, pressure = _found(cues.DIRECTED, text), _found(cues.PRESSURE, text)
    if directed and pressure:
        return f"{money} / {directed} / {pressure}"
    return None


def scam_hint(text: str) -> bool:
    """Weaker than a scam call: money talk with someone directing it or under pressure. The fraud
    guard holds back an answer that moves money from such a turn."""
    clean = without_benign(normalise(text))
    if _found(cues.SCAM_STRONG, clean) or scam_story(clean):
        return True
    return bool(_found(cues.MONEY_ACTION, clean)
                and (_found(cues.DIRECTED, clean) or _found(cues.PRESSURE, clean)))


def safety_call(text: str) -> SafetyCall | None:
    clean = without_benign(normalise(text))
    story = scam_story(clean)
    if story:
        return SafetyCall(SafetyKind.SCAM, story)
    for kind, table in ((SafetyKind.EMERGENCY, cues.EMERGENCY), (SafetyKind.LOST_CHILD, cues.LOST_CHILD),
                        (SafetyKind.SCAM, cues.SCAM_STRONG), (SafetyKind.PERSONAL_DATA, cues.PERSONAL_DATA)):
        cue = _found(table, clean)
        if cue:
            return SafetyCall(kind, cue)
    return None


def answer_moves_money(answer: str) -> bool:
    """Does an answer tell the visitor how to move money, pay, scan a code or share account details?"""
    return _found(cues.MONEY_ANSWER, normalise(answer)) is not None
