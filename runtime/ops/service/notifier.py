"""sd_notify from the kiosk's main loop (``sdnotify``): READY=1, WATCHDOG=1 pings, STATUS= text and the
health lines a runtime trial is judged by (``startup_health``).

Active only under systemd (``$NOTIFY_SOCKET`` set); elsewhere ``NullNotifier``. Pings are sent
from the loop that handles audio, so a hung recogniser or renderer stops them and systemd's
watchdog restarts the kiosk. ``now`` is passed in; nothing here reads the clock.
"""

from __future__ import annotations

import logging
import os
from typing import Protocol

_LOGGER = logging.getLogger(__name__)


class ServiceNotifier(Protocol):
    name: str
    def ready(self, status: str) -> None: ...
    def tick(self, now: float) -> None: ...
    def status(self, text: str) -> None: ...
    def report(self, line: str) -> None: ...


class NullNotifier:
    name = "none"

    def ready(self, status: str) -> None:
        pass

    def tick(self, now: float) -> None:
        pass

    def status(self, text: str) -> None:
        pass

    def report(self, line: str) -> None:
        pass


class SystemdNotifier:
    name = "systemd"

    def __init__(self, watchdog_usec: int | None, send=None):
        if send is None:
            import sdnotify
            notifier = sdnotify.SystemdNotifier()
            send = notifier.notify
        self._send = send
        # ping at twice the rate systemd asks for (sd_watchdog_enabled's advice)
        self.interval = watchdog_usec / 2e6 if watchdog_usec else None
        self._last = None

    def ready(self, status: str) -> None:
        self._send(f"READY=1\nSTATUS={status}")

    def tick(self, now: float) -> None:
        if self.interval is not None and (self._last is None or now - self._last >= self.interval):
            self._last = now
            self._send("WATCHDOG=1")

    def status(self, text: str) -> None:
        self._send(f"STATUS={text}")

    def report(self, line: str) -> None:
        """One health line (``X_EDGE_AVATAR_…=``): systemd ignores it, the launcher judges by it."""
        self._send(line)


def make_notifier(environ=os.environ) -> ServiceNotifier:
    if not environ.get("NOTIFY_SOCKET"):
        return NullNotifier()
    usec = environ.get("WATCHDOG_USEC")
    notifier = SystemdNotifier(int(usec) if usec and usec.isdigit() else None)
    _LOGGER.info("service manager: systemd (watchdog %s)", f"{int(usec) / 1e6:g} s" if usec else "off")
    return notifier
