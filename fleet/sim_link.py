"""A simulated kiosk's connection to the broker: one state, its moves in one table, and when to try
again after a loss (jittered back-off, as paho's own loop does on a real kiosk). Pure: time and the
random draws are passed in; the simulator does the socket work."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from .backoff import backoff_delay

_LOGGER = logging.getLogger(__name__)

RECONNECT_FIRST_S = 1.0             # paho's reconnect_delay_set(1, 60) on a real kiosk; capped lower here
RECONNECT_CAP_S = 30.0


class Link(str, enum.Enum):
    CONNECTING = "connecting"       # socket open, CONNECT sent, no CONNACK yet
    ONLINE = "online"
    DOWN = "down"                   # lost (or a reconnect refused): a reconnect is scheduled
    CLOSED = "closed"               # the simulator is shutting down


MOVES: dict[Link, frozenset[Link]] = {
    Link.CONNECTING: frozenset({Link.ONLINE, Link.DOWN, Link.CLOSED}),
    Link.ONLINE: frozenset({Link.DOWN, Link.CLOSED}),
    Link.DOWN: frozenset({Link.CONNECTING, Link.DOWN, Link.CLOSED}),   # DOWN -> DOWN: a reconnect refused
    Link.CLOSED: frozenset(),
}


@dataclass
class KioskLink:
    state: Link = Link.CONNECTING
    attempts: int = 0                # reconnects tried since the last CONNACK
    retry_at: float | None = None
    illegal_moves: int = 0           # counted and logged, never raised into paho's callbacks

    def _move(self, new: Link) -> bool:
        if new not in MOVES[self.state]:
            self.illegal_moves += 1
            _LOGGER.warning("simulated link %s -> %s is not allowed", self.state.value, new.value)
            return False
        self.state = new
        return True

    @property
    def carries_traffic(self) -> bool:
        return self.state in (Link.CONNECTING, Link.ONLINE)

    def up(self) -> None:
        """CONNACK: online; the back-off starts from the beginning next time."""
        if self._move(Link.ONLINE):
            self.attempts = 0

    def lost(self, now: float, draw: float) -> bool:
        """The connection is gone: schedule a reconnect. False if this loss was already known (paho
        may report one loss twice, from a read and from its keep-alive check) or we are closing."""
        if self.state in (Link.DOWN, Link.CLOSED):
            return False
        self._move(Link.DOWN)
        self._schedule(now, draw)
        return True

    def refused(self, now: float, draw: float) -> None:
        """A reconnect attempt failed (broker still away): try again later, waiting longer."""
        if self._move(Link.DOWN):
            self._schedule(now, draw)

    def due(self, now: float) -> bool:
        return self.state is Link.DOWN and self.retry_at is not None and now >= self.retry_at

    def connecting(self) -> None:
        if self._move(Link.CONNECTING):
            self.retry_at = None

    def close(self) -> None:
        self._move(Link.CLOSED)

    def _schedule(self, now: float, draw: float) -> None:
        self.attempts += 1
        self.retry_at = now + backoff_delay(self.attempts, RECONNECT_FIRST_S, RECONNECT_CAP_S, draw)
