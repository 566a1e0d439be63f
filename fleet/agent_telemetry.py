"""TelemetryBuffer: at most one telemetry record per interval; kept while offline (bounded,
oldest dropped) and handed back on reconnect. Pure: time is passed in."""

from __future__ import annotations

from collections import deque


class TelemetryBuffer:
    def __init__(self, interval_s: float = 30.0, capacity: int = 256):
        self.interval_s = interval_s
        self.backlog: deque = deque(maxlen=capacity)
        self.dropped = 0
        self._last = -1e9

    def due(self, now: float) -> bool:
        return now - self._last >= self.interval_s

    def take(self, record: dict, now: float, online: bool) -> dict | None:
        """The record to publish now; None if it is too soon, or if it was kept for later (offline)."""
        if not self.due(now):
            return None
        self._last = now
        if online:
            return record
        if len(self.backlog) == self.backlog.maxlen:
            self.dropped += 1
        self.backlog.append({**record, "buffered": True})
        return None

    def drain(self) -> list[dict]:
        """Everything kept while offline, oldest first; the backlog is empty afterwards."""
        out = []
        while self.backlog:
            out.append(self.backlog.popleft())
        return out
