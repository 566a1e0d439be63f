"""The kiosk's surroundings: presence from the panel controller and the board's GPIO,
and the panel's brightness and mode, turned into actions for the conversation loop.

Events arrive on the bridge's and GPIO's threads and are queued; the loop calls
`poll(now)` and gets the policy's actions on its own thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from typing import Callable

from firmware_bridge.messages import BootEvent, Message, PresenceEvent, SetBrightness, SetMode
from runtime.surroundings.presence import ActionKind, FrameRateGovernor, PresenceAction, PresencePolicy

_LOGGER = logging.getLogger(__name__)
# A presence sensor reports distance, not direction: straight ahead unless a camera says otherwise.
STRAIGHT_AHEAD = 0.0


HEALTH_EVERY_S = 5.0


class PanelSession:
    def __init__(self, policy: PresencePolicy, local_time: Callable[[], dt.time], bridge=None, inputs=None,
                 health=None, governor: FrameRateGovernor | None = None):
        self.policy = policy
        self.bridge = bridge
        self._local_time = local_time
        self._events: queue.SimpleQueue[tuple[bool, float]] = queue.SimpleQueue()
        self.governor = governor or FrameRateGovernor()
        self.throttled = False
        self._stop = threading.Event()
        if health is not None:
            threading.Thread(target=self._watch_health, args=(health,), name="board-health", daemon=True).start()
        self._brightness: int | None = None
        self._boots_seen = 0
        self._synced = (-1, -1)   # (bridge reconnects, controller boots) the panel was last set up for
        if bridge is not None:
            bridge.on_event = self._on_panel_event
        if inputs is not None:
            inputs.on_presence(lambda present: self._events.put((present, STRAIGHT_AHEAD)))

    def post_presence(self, present: bool, position: float = STRAIGHT_AHEAD) -> None:
        """From any thread (the camera's): a visitor came, moved (position -1..1) or left."""
        self._events.put((present, position))

    def _on_panel_event(self, message: Message) -> None:
        if isinstance(message, PresenceEvent):
            self._events.put((bool(message.present), STRAIGHT_AHEAD))
        elif isinstance(message, BootEvent):
            self._boots_seen += 1

    def _sync_panel(self) -> None:
        """After a (re)connection or a controller reboot, set the panel up again."""
        generation = (self.bridge.reconnects, self._boots_seen)
        if generation == self._synced or not self.bridge.connected.is_set():
            return
        sent = self.bridge.send(SetMode(1 if self.policy.config.panel_mode_3d else 0))
        if self._brightness is not None:
            sent = self.bridge.send(SetBrightness(self._brightness)) and sent
        if sent:
            self._synced = generation

    @property
    def fps(self) -> float:
        return self.governor.fps

    def close(self) -> None:
        self._stop.set()

    def _watch_health(self, probe) -> None:
        while not self._stop.is_set():
            sample = probe.sample()
            throttled = bool(sample.throttling and sample.throttling.active)
            if throttled != self.throttled:
                _LOGGER.warning("board throttling %s (%s)", "started" if throttled else "cleared",
                                ", ".join(sample.throttling.now) if sample.throttling else "")
            self.throttled = throttled
            self._stop.wait(HEALTH_EVERY_S)

    def poll(self, now: float) -> list[PresenceAction]:
        actions: list[PresenceAction] = []
        while True:
            try:
                present, position = self._events.get_nowait()
            except queue.Empty:
                break
            actions += self.policy.on_presence(present, now, position)
        actions += self.policy.tick(now, self._local_time())
        self.governor.update(self.throttled, now)
        for action in actions:
            if action.kind is ActionKind.BRIGHTNESS:
                self._brightness = int(action.value)
                if self.bridge is not None:
                    self.bridge.send(SetBrightness(self._brightness))
        if self.bridge is not None:
            self._sync_panel()
        return actions
