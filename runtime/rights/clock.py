"""The clock rule: how a kiosk with no network judges a consent's end (pure).

A board may have no battery-backed clock, and with the network down nothing corrects it. So the
kiosk never lets its idea of the time go backwards: trusted time = the later of

- the wall clock, and
- the floor: the latest trusted time it has seen, saved on disk (every minute and at stop) and
  carried forward by the monotonic clock while the process runs.

A clock set back therefore never lengthens a consent; a clock set forward can only end one early.
When the wall clock is more than ``SUSPECT_AFTER_S`` behind the floor, the clock is known to be
wrong (reset at boot, no RTC, no network) and the kiosk cannot know how long it was off: then a
real person's face or voice is not shown at all (``trusted`` is False) until the wall clock is
right again. Original and licensed assets are unaffected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SUSPECT_AFTER_S = 300.0


@dataclass
class TrustedClock:
    floor: dt.datetime | None = None          # latest trusted time, as loaded or observed
    floor_mono: float | None = None           # the monotonic reading when the floor was set
    trusted: bool = True                      # False: the wall clock is known to be behind

    def now(self, wall: dt.datetime, mono: float) -> dt.datetime:
        """The trusted time for this wall-clock and monotonic reading; raises the floor to it."""
        t = wall
        if self.floor is not None:
            carried = self.floor + dt.timedelta(seconds=max(0.0, mono - (self.floor_mono or mono)))
            self.trusted = (carried - wall).total_seconds() <= SUSPECT_AFTER_S
            t = max(t, carried)
        self.floor, self.floor_mono = t, mono
        return t
