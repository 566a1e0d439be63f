"""ChangeFeed: rows keyed by id; each `publish(rows)` keeps only the rows that changed, numbered by a
sequence, so a page that has seen up to N gets exactly what changed since (or the whole table if it
fell further behind than the feed keeps). Pure but for its lock; time is not needed."""

from __future__ import annotations

import threading
from collections import deque


class ChangeFeed:
    def __init__(self, keep: int = 256):
        self._lock = threading.Condition()
        self._rows: dict[str, dict] = {}
        self._changes: deque[tuple[int, dict[str, dict | None]]] = deque(maxlen=keep)
        self.seq = 0

    def publish(self, rows: dict[str, dict]) -> int:
        """The whole current table; returns how many rows changed (a row gone is sent as None)."""
        with self._lock:
            changed: dict[str, dict | None] = {k: v for k, v in rows.items() if self._rows.get(k) != v}
            changed.update({k: None for k in self._rows.keys() - rows.keys()})
            if changed:
                self.seq += 1
                self._rows = dict(rows)
                self._changes.append((self.seq, changed))
                self._lock.notify_all()
            return len(changed)

    def snapshot(self) -> tuple[int, dict[str, dict]]:
        with self._lock:
            return self.seq, dict(self._rows)

    def since(self, seq: int) -> tuple[int, dict[str, dict | None], bool]:
        """(new seq, changes, full): full=True when `seq` is older than the feed keeps (send the table)."""
        with self._lock:
            if seq == self.seq:
                return seq, {}, False
            oldest = self._changes[0][0] if self._changes else self.seq + 1
            if seq + 1 < oldest or seq > self.seq:
                return self.seq, dict(self._rows), True
            out: dict[str, dict | None] = {}
            for n, changed in self._changes:
                if n > seq:
                    out.update(changed)
            return self.seq, out, False

    def wait(self, seq: int, timeout: float) -> bool:
        """Block until the feed is past `seq` (True) or `timeout` passes (False)."""
        with self._lock:
            return self._lock.wait_for(lambda: self.seq != seq, timeout)
