"""The clock rule: how a kiosk with no network judges a consent's end (pure).

A board may have no battery-backed clock, and with the network down nothing corrects it. So the
kiosk never lets its idea of the time go backwards: trusted time = the latest of

- the wall clock,
- the floor it saved on disk (the latest trusted time it has seen, rewritten every minute and at
  every install), moved on by the monotonic clock since the floor was loaded,
- the creation time of every signed bundle it installed (an admin signed it, so it is not earlier).

A clock set back (or reset to 1970 at boot) therefore never lengthens a consent; a clock set
forward can only end one early. This is the safe side: a person's face is never shown past the
end of their consent by the kiosk's own reckoning. Consent windows are judged on this time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass
class TrustedClock:
    floor: dt.datetime | None = None          # latest trusted time, as loaded or observed
    floor_mono: float | None = None           # the monotonic reading when the floor was set

    def now(self, wall: dt.datetime, mono: float) -> dt.datetime:
        """The trusted time for this wall-clock and monotonic reading; raises the floor to it."""
        t = wall
        if self.floor is not None:
            carried = self.floor + dt.timedelta(seconds=max(0.0, mono - (self.floor_mono or mono)))
            t = max(t, carried)
        self.floor, self.floor_mono = t, mono
        return t

    def witness(self, t: dt.datetime, mono: float) -> None:
        """A time known to have passed (a signed bundle's creation): the floor rises to it."""
        self.now(t, mono)
