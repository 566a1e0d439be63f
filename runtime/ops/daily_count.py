"""DailyCount: how many times something happened since local midnight (the fleet's "answers today").
Pure: every call is given the local time (an aware datetime in the venue's zone). The count starts
again from 0 on the first event of a new day, and reads 0 on a day with no event yet. It lives in
memory: a kiosk restart starts it from 0 (the day's answers before the restart are not counted)."""

from __future__ import annotations

import datetime as dt


class DailyCount:
    def __init__(self) -> None:
        self._day_count: tuple[dt.date | None, int] = (None, 0)   # one tuple: read whole from another thread

    def add(self, at: dt.datetime) -> int:
        """Count one event at local time `at`; a different calendar day than the last event's starts a
        new count (also when a clock set back lands on an earlier day). Returns the day's count."""
        day, count = self._day_count
        count = count + 1 if at.date() == day else 1
        self._day_count = (at.date(), count)
        return count

    def value(self, now: dt.datetime) -> int:
        """The count of `now`'s calendar day: 0 once midnight has passed since the last event."""
        day, count = self._day_count
        return count if now.date() == day else 0
