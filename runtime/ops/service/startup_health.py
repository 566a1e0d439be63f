"""The kiosk's health at start, said to the service manager (pure: the facts passed in each tick).

Each line is sent once, when it first holds (``runtime.shared.runtime_slots``): listening (the
recogniser and the voice loaded; the listener runs in the loop that ticks this), rendering (a frame
of the avatar drawn), and READY=1 once it renders and listens — or renders and the models' first
loads are over without them: a kiosk whose recogniser does not load runs on degraded (on screen,
its safety answers and staff alerts, rebuilding the engine) rather than being killed by systemd's
start timeout in a loop; its STATUS says so, and a runtime trial, which waits for the listening line,
rolls such a version back. The fleet line comes from the embedded agent's link (``fleet_link``),
apart: a kiosk works without its broker, so READY=1 never waits for it.
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

    def tick(self, listening: bool, rendering: bool, loads_over: bool = False) -> None:
        """`loads_over`: the recogniser's and the voice's first loads have ended, loaded or failed."""
        if listening:
            self._once(LISTENING)
        if rendering:
            self._once(RENDERING)
        if rendering and (listening or loads_over) and "READY=1" not in self.sent:
            self.sent.add("READY=1")
            self.notifier.ready(self.ready_status if listening else
                                "on screen, NOT listening: the recogniser or the voice did not load (see the log)")

    @property
    def ready(self) -> bool:
        return "READY=1" in self.sent

    def fleet_link(self, up: bool) -> None:
        """The embedded agent's MQTT link came up (any thread: one datagram)."""
        if up:
            self.notifier.report(FLEET_CONNECTED)
