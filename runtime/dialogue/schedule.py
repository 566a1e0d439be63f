"""A venue's schedule: weekly opening hours, special days, events by date. Pure.

Every query takes the venue-local time as an argument (the kiosk passes the
clock in, tests inject one), so "are you open now?" is testable at any moment.

YAML shape (inside faq.yaml):

    schedule:
      hours: {mon: closed, tue-fri: "09:00-17:00", sat-sun: "09:00-18:00"}
      special: {"2026-12-31": "09:00-15:00", "2027-01-01": closed}
      events:
        - {from: 2026-11-28, to: 2026-11-29, en: a craft market in the atrium, zh: 中庭手工市集}
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
Hours = tuple[dt.time, dt.time] | None  # None: closed that day


@dataclass(frozen=True)
class Event:
    start: dt.date
    end: dt.date
    text: dict[str, str]


@dataclass(frozen=True)
class OpenState:
    open: bool
    closes_at: dt.time | None      # today's closing time when open (or still to come)
    opens_at: dt.time | None       # today's opening time, if it opens today
    next_open: dt.datetime | None  # the next opening after `now` when closed


@dataclass(frozen=True)
class Schedule:
    weekly: dict[int, Hours]
    special: dict[dt.date, Hours] = field(default_factory=dict)
    events: tuple[Event, ...] = ()

    def hours_on(self, day: dt.date) -> Hours:
        if day in self.special:
            return self.special[day]
        return self.weekly.get(day.weekday())

    def state(self, now: dt.datetime) -> OpenState:
        today = self.hours_on(now.date())
        t = now.time()
        if today is not None and today[0] <= t < today[1]:
            return OpenState(True, today[1], today[0], None)
        opens_today = today[0] if today is not None and t < today[0] else None
        return OpenState(False, None, opens_today, self._next_open(now))

    def events_on(self, day: dt.date) -> list[Event]:
        return [e for e in self.events if e.start <= day <= e.end]

    def _next_open(self, now: dt.datetime) -> dt.datetime | None:
        for ahead in range(0, 15):
            day = now.date() + dt.timedelta(days=ahead)
            hours = self.hours_on(day)
            if hours is None:
                continue
            start = dt.datetime.combine(day, hours[0], tzinfo=now.tzinfo)
            if start > now:
                return start
        return None


def parse_schedule(raw: Any, languages: list[str], problem: Callable[[str, str], None]) -> Schedule | None:
    """Parse the `schedule:` block; report each problem as (field, expected)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problem("schedule", "a mapping with hours, special and events")
        return None
    weekly: dict[int, Hours] = {}
    hours = raw.get("hours", {})
    if not isinstance(hours, dict):
        problem("schedule.hours", "a mapping like {mon-fri: \"10:00-22:00\", sun: closed}")
        hours = {}
    for key, value in hours.items():
        days = _day_range(str(key))
        if days is None:
            problem(f"schedule.hours.{key}", f"a day or range of days from {'/'.join(DAYS)} (e.g. tue-sun)")
            continue
        parsed = _hours(value)
        if parsed is False:
            problem(f"schedule.hours.{key}", "\"HH:MM-HH:MM\" (opening before closing) or closed")
            continue
        for d in days:
            weekly[d] = parsed
    special: dict[dt.date, Hours] = {}
    for key, value in (raw.get("special") or {}).items():
        day, parsed = _date(key), _hours(value)
        if day is None or parsed is False:
            problem(f"schedule.special.{key}", "a date YYYY-MM-DD with \"HH:MM-HH:MM\" or closed")
            continue
        special[day] = parsed
    events = []
    for i, item in enumerate(raw.get("events") or []):
        where = f"schedule.events[{i}]"
        if not isinstance(item, dict):
            problem(where, "a mapping with from, to and the event's words per language")
            continue
        start, end = _date(item.get("from")), _date(item.get("to", item.get("from")))
        if start is None or end is None or end < start:
            problem(f"{where}.from", "dates YYYY-MM-DD in `from` (and `to`, not before `from`)")
            continue
        text = {lang: str(item[lang]).strip() for lang in languages if str(item.get(lang, "")).strip()}
        missing = [lang for lang in languages if lang not in text]
        if missing:
            problem(f"{where}.{missing[0]}", "the event described in every language of the pack")
            continue
        events.append(Event(start, end, text))
    return Schedule(weekly, special, tuple(events))


def _day_range(key: str) -> list[int] | None:
    parts = [p.strip().lower()[:3] for p in key.split("-")]
    if not all(p in DAYS for p in parts) or len(parts) > 2:
        return None
    a, b = DAYS.index(parts[0]), DAYS.index(parts[-1])
    return [(a + i) % 7 for i in range((b - a) % 7 + 1)]


def _hours(value: Any) -> Hours | bool:
    if value is None or str(value).strip().lower() == "closed" or value is False:
        return None
    m = _HOURS.match(str(value))
    if not m:
        return False
    h1, m1, h2, m2 = map(int, m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
        return False
    start = dt.time(h1, m1)
    end = dt.time(23, 59, 59) if h2 == 24 else dt.time(h2, m2)
    return (start, end) if start < end else False


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None
