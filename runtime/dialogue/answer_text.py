"""Answer wording: cues like [smile] or [wave], and time placeholders like {closes_at}.

Cues are stripped from what is spoken and kept with the character offset where
they stand, so the avatar plays them at that moment of the answer. Placeholders
are filled from the venue's schedule at the moment of answering. Pure.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .schedule import Schedule

EXPRESSIONS = ("neutral", "smile", "surprised", "thinking", "sad")
MOTIONS = ("nod", "wave", "bow")
CUES = EXPRESSIONS + MOTIONS
PLACEHOLDERS = ("opens_at", "closes_at", "next_open", "events", "today")
_CUE = re.compile(r"\s*\[([A-Za-z_]+)\]\s*")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]*)\}")
_ZH_DAYS = "一二三四五六日"


@dataclass(frozen=True)
class Cue:
    name: str
    at_char: int  # offset in the spoken text where the cue stands


def split_cues(text: str) -> tuple[str, tuple[Cue, ...]]:
    """'[smile] Hello! [wave] Bye' -> ('Hello! Bye', (Cue('smile', 0), Cue('wave', 7)))."""
    spoken, cues, pos = [], [], 0
    for m in _CUE.finditer(text):
        piece = text[pos:m.start()]
        spoken.append(piece)
        joined = "".join(spoken)
        if joined and not joined.endswith(" ") and m.end() < len(text) and _needs_space(joined, text[m.end()]):
            spoken.append(" ")
            joined += " "
        cues.append(Cue(m.group(1).lower(), len(joined)))
        pos = m.end()
    spoken.append(text[pos:])
    return "".join(spoken).strip(), tuple(cues)


def _needs_space(before: str, after: str) -> bool:
    return before[-1].isascii() and after.isascii()


def unknown_cues(text: str) -> list[str]:
    return [m.group(1) for m in _CUE.finditer(text) if m.group(1).lower() not in CUES]


def placeholders(text: str) -> list[str]:
    return [m.group(1) for m in _PLACEHOLDER.finditer(text)]


def fill(text: str, lang: str, schedule: Schedule | None, now: dt.datetime) -> str:
    if schedule is None or "{" not in text:
        return text
    state = schedule.state(now)
    today = schedule.hours_on(now.date())
    values = {
        "opens_at": spoken_time(today[0], lang) if today else "",
        "closes_at": spoken_time(today[1], lang) if today else "",
        "next_open": spoken_moment(state.next_open, now, lang) if state.next_open else "",
        "events": _join([e.text[lang] for e in schedule.events_on(now.date())], lang),
        "today": weekday(now.date(), lang),
    }
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def spoken_time(t: dt.time, lang: str) -> str:
    if lang == "zh":
        part = "上午" if t.hour < 12 else ("下午" if t.hour < 18 else "晚上")
        hour = t.hour if t.hour <= 12 else t.hour - 12
        return f"{part}{hour}点" + ("半" if t.minute == 30 else (f"{t.minute}分" if t.minute else ""))
    hour = t.hour % 12 or 12
    suffix = "am" if t.hour < 12 else "pm"
    return f"{hour}:{t.minute:02d} {suffix}" if t.minute else f"{hour} {suffix}"


def weekday(day: dt.date, lang: str) -> str:
    if lang == "zh":
        return "周" + _ZH_DAYS[day.weekday()]
    return day.strftime("%A")


def spoken_moment(when: dt.datetime, now: dt.datetime, lang: str) -> str:
    days = (when.date() - now.date()).days
    at = spoken_time(when.time(), lang)
    if lang == "zh":
        day = "今天" if days == 0 else "明天" if days == 1 else weekday(when.date(), lang)
        return f"{day}{at}"
    day = "today" if days == 0 else "tomorrow" if days == 1 else f"on {weekday(when.date(), lang)}"
    return f"{day} at {at}"


def _join(items: list[str], lang: str) -> str:
    if lang == "zh":
        return "、".join(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
