"""The kiosk's health at start, said to the service manager (pure: the facts passed in each tick).

Each line is sent once, when it first holds (``runtime.shared.runtime_slots``): listening (the
recogniser and the voice loaded; the listener runs in the loop that ticks this), rendering (a frame
of the avatar drawn), and READY=1 once both hold — "on screen and listening", what systemd and the
launcher wait for. The fleet line comes from the embedded agent's link (``fleet_link``), apart: a
kiosk works without its broker, so READY=1 never waits for it.
"""

from __future__ import annotations

from runtime.shared.runtime_slots import FLEET_CONNECTED, LISTENING, RENDERING

from .notifier import ServiceNotifier


class StartupHealth:
    def __init__(self, notifier: ServiceNotifier, ready_status: str):
        self.notifier = notifier
        self.ready_status = ready_status
        self.sent: set[str] = set()

    def _once(self, line: str) -> None:
        if line not in self.sent:
            self.sent.add(line)
            self.notifier.report(line)

    def tick(self, listening: bool, rendering: bool) -> None:
        if listening:
            self._once(LISTENING)
        if rendering:
            self._once(RENDERING)
        if listening and rendering and "READY=1" not in self.sent:
            self.sent.add("READY=1")
            self.notifier.ready(self.ready_status)

    @property
    def ready(self) -> bool:
        return "READY=1" in self.sent

    def fleet_link(self, up: bool) -> None:
        """The embedded agent's MQTT link came up (any thread: one datagram)."""
        if up:
            self.notifier.report(FLEET_CONNECTED)
