"""What the kiosk does about visitors coming and going (pure: time passed in).

Presence (panel sensor or PIR) -> greet once per arrival and look at the
visitor; nobody for a while -> attract loop (a line now and then); longer ->
dim the panel; a visitor wakes it. Brightness follows a daily schedule.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Protocol

from runtime.shared.errors import ConfigError


@dataclass(frozen=True)
class PresenceConfig:
    greet_cooldown_s: float = 20.0      # a visitor who steps back and returns is not greeted again at once
    attract_after_s: float = 60.0
    attract_every_s: float = 45.0
    dim_after_s: float = 300.0
    dim_percent: int = 20
    # (from HH:MM, brightness %) pairs; the last one before now applies (wrapping over midnight)
    schedule: tuple[tuple[str, int], ...] = (("08:00", 100), ("21:00", 60))
    panel_mode_3d: bool = True
    forget_after_s: float = 10.0        # gone this long after the sensor lost them: the visitor has left

    def __post_init__(self) -> None:
        if not 0 <= self.dim_percent <= 100:
            raise ConfigError("presence.dim_percent: expected 0..100")
        if not self.schedule:
            raise ConfigError("presence.schedule: expected at least one (HH:MM, percent) entry")
        for when, percent in self.schedule:
            try:
                dt.time.fromisoformat(when)
            except ValueError:
                raise ConfigError(f"presence.schedule: {when!r} is not HH:MM") from None
            if not 0 <= percent <= 100:
                raise ConfigError(f"presence.schedule: {percent} % at {when} is outside 0..100")

    def scheduled_brightness(self, local: dt.time) -> int:
        entries = sorted((dt.time.fromisoformat(w), p) for w, p in self.schedule)
        current = entries[-1][1]          # before the first entry of the day: last night's value
        for when, percent in entries:
            if local >= when:
                current = percent
        return current


class ActionKind(enum.Enum):
    GREET = "greet"
    LOOK_AT = "look_at"
    ATTRACT = "attract"
    BRIGHTNESS = "brightness"
    DEPARTED = "departed"   # the visitor has been gone for forget_after_s: end their conversation


@dataclass(frozen=True)
class PresenceAction:
    kind: ActionKind
    value: float = 0.0   # LOOK_AT: -1..1 across the panel; BRIGHTNESS: percent


class PresencePolicy:
    def __init__(self, config: PresenceConfig = PresenceConfig(), start: float = 0.0):
        self.config = config
        self.present = False
        self._last_seen = start
        self._last_greet = -1e9
        self._last_attract = start
        self._brightness: int | None = None
        self._departing = False

    def on_presence(self, present: bool, now: float, position: float = 0.0) -> list[PresenceAction]:
        actions: list[PresenceAction] = []
        if present:
            if not self.present and now - self._last_greet >= self.config.greet_cooldown_s:
                self._last_greet = now
                actions.append(PresenceAction(ActionKind.GREET))
            actions.append(PresenceAction(ActionKind.LOOK_AT, max(-1.0, min(1.0, position))))
        if self.present and not present:
            self._departing = True
        elif present:
            self._departing = False
        self.present = present
        self._last_seen = now
        return actions

    def on_activity(self, now: float) -> None:
        """A visitor spoke: the kiosk is in use even if no sensor said so."""
        self._last_seen = now

    def tick(self, now: float, local: dt.time) -> list[PresenceAction]:
        cfg, actions = self.config, []
        idle = 0.0 if self.present else now - self._last_seen
        if self._departing and idle >= cfg.forget_after_s:
            self._departing = False
            actions.append(PresenceAction(ActionKind.DEPARTED))
        if (idle >= cfg.attract_after_s and idle < cfg.dim_after_s
                and now - self._last_attract >= cfg.attract_every_s):
            self._last_attract = now
            actions.append(PresenceAction(ActionKind.ATTRACT))
        target = cfg.dim_percent if idle >= cfg.dim_after_s else cfg.scheduled_brightness(local)
        target = min(target, cfg.scheduled_brightness(local))
        if target != self._brightness:
            self._brightness = target
            actions.append(PresenceAction(ActionKind.BRIGHTNESS, float(target)))
        return actions


class Surroundings(Protocol):
    """What the conversation loop asks of the kiosk's surroundings (the panel link, the presence
    sensor and the camera, joined by the composition root's PanelSession)."""

    policy: PresencePolicy

    @property
    def fps(self) -> float: ...

    def poll(self, now: float) -> list[PresenceAction]: ...


@dataclass
class FrameRateGovernor:
    """Lower the frame rate while the board throttles, before it stutters; climb back after."""

    base_fps: float = 30.0
    min_fps: float = 12.0
    step: float = 0.75
    recover_after_s: float = 30.0
    fps: float = 0.0
    _clear_since: float | None = None

    def __post_init__(self) -> None:
        self.fps = self.fps or self.base_fps

    def update(self, throttled: bool, now: float) -> float:
        if throttled:
            self.fps = max(self.min_fps, self.fps * self.step)
            self._clear_since = None
        elif self.fps < self.base_fps:
            if self._clear_since is None:
                self._clear_since = now
            elif now - self._clear_since >= self.recover_after_s:
                self.fps = min(self.base_fps, self.fps / self.step)
                self._clear_since = now
        return self.fps
