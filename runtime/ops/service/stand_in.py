"""What the launcher says to systemd for a child that is still starting (pure: time passed in).

systemd sees one service, the launcher (``Type=notify``, ``NotifyAccess=main``). Its kiosk child's
sd_notify lines go up through the launcher, but a child that is loading says nothing, and two limits
of the unit would then end the launcher in the middle of what it supervises:

- ``TimeoutStartSec`` until the first READY=1: a trial of up to ``max_starts`` starts of a new
  version, each allowed its ready deadline (3 x 120 s), then the old version started again, takes
  far longer than the unit's start timeout;
- ``WatchdogSec`` once the unit is active (after any READY=1): a trial version that crashed after
  its READY=1 is started again, or the old one after a roll back, and loads its models for longer
  than the watchdog allows.

So while its current child has not yet said READY=1, and for at most ``grace_s`` after that child
started, the launcher sends WATCHDOG=1 and EXTEND_TIMEOUT_USEC (to the end of the grace, plus a
margin) itself, every half watchdog period. A child that said READY=1 pings for itself, and one that
hangs past its grace is left to systemd's limits, as without a launcher.
"""

from __future__ import annotations

from dataclasses import dataclass

EXTEND_MARGIN_S = 30.0        # the extension outlasts the grace by this: the launcher's own verdict comes first
NO_WATCHDOG_EVERY_S = 10.0    # how often to extend the start timeout when the unit has no watchdog


@dataclass
class StandIn:
    watchdog_s: float | None          # the unit's WatchdogSec (WATCHDOG_USEC), None when off
    grace_s: float = 120.0            # per child start: the trial's ready deadline (or the default one)
    started_at: float | None = None
    child_ready: bool = False
    last_sent: float | None = None

    @property
    def every_s(self) -> float:
        return self.watchdog_s / 2 if self.watchdog_s else NO_WATCHDOG_EVERY_S

    def started(self, now: float, grace_s: float | None = None) -> None:
        """A new child process was started (a trial start, a roll back, a plain start)."""
        self.started_at, self.child_ready, self.last_sent = now, False, None
        if grace_s is not None:
            self.grace_s = grace_s

    def ready(self) -> None:
        """The child said READY=1: from now on its own WATCHDOG=1 pings go up."""
        self.child_ready = True

    def due(self, now: float) -> list[str]:
        """The sd_notify messages to send systemd now on the child's behalf (often none)."""
        if self.child_ready or self.started_at is None:
            return []
        left = self.started_at + self.grace_s - now
        if left <= 0 or (self.last_sent is not None and now - self.last_sent < self.every_s):
            return []
        self.last_sent = now
        extend = f"EXTEND_TIMEOUT_USEC={int((left + self.every_s + EXTEND_MARGIN_S) * 1e6)}"
        return ["WATCHDOG=1", extend] if self.watchdog_s else [extend]

    def wait_s(self, now: float) -> float:
        """How long the launcher may wait before `due` has something to send."""
        if self.child_ready or self.started_at is None or now >= self.started_at + self.grace_s:
            return 3600.0
        return 0.0 if self.last_sent is None else max(0.0, self.last_sent + self.every_s - now)


def watchdog_s(environ) -> float | None:
    usec = environ.get("WATCHDOG_USEC", "")
    return int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 else None
