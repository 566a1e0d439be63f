"""Waiting for a push: a verdict on every device (``push_verdict``), from the admin's live view
corrected by reads of the broker's retained documents (``PushWatch.rereads_due``).

Why the re-reads: a broker drops messages for a subscriber that falls behind (Mosquitto: beyond
``max_queued_messages`` per client, QoS 1 included, counted only in ``$SYS/.../dropped``). The
admin subscribes to every device's status and reports; when a thousand kiosks reconnect at once
after a broker restart (births, announce replies, progress, commits) its queue overflows and some
devices' last report never reaches it — measured: 3 564 messages dropped in a 1 000-kiosk push, 51
committed kiosks judged stuck at `installing`. The retained copy on the broker is the latest, so a
quiet device is read again on its exact topics (every broker replays those), in pages small enough
not to overflow the queue themselves, and a stuck/offline verdict needs a read after its deadline.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Protocol

from . import topics as T
from .push_verdict import Deadlines, DeviceVerdict, at_timeout
from .push_watch import PushWatch


class FleetAdmin(Protocol):
    """What the wait needs of ``admin.FleetAdmin``: its fleet view, its lock, a retained read, counters."""
    _lock: threading.Lock
    _changed: threading.Condition
    devices: dict
    rereads: int
    reread_corrections: int

    def read_retained_many(self, topics: list[str], wait_s: float = 5.0) -> dict[str, bytes | None]: ...

REREAD_PAGE = 50            # devices per re-read (two retained documents each)
REREAD_WAIT_S = 30.0        # the longest wait for one page's replay


def _snapshot(admin: FleetAdmin, devices: list[str]) -> dict[str, tuple]:
    with admin._lock:
        return {d: (admin.devices[d].status, admin.devices[d].reported) if d in admin.devices else None
                for d in devices}


def reread_documents(admin: FleetAdmin, devices: list[str], wait_s: float = REREAD_WAIT_S) -> set[str]:
    """Read the retained `status` and `reported` of `devices` again (pages of REREAD_PAGE); the
    replayed messages update the admin's view as live ones do. Returns the devices whose reported
    document came back; counts in `admin.rereads` and, for each device the live view had wrong
    (a message it never got), `admin.reread_corrections`."""
    found: set[str] = set()
    for i in range(0, len(devices), REREAD_PAGE):
        page = devices[i:i + REREAD_PAGE]
        before = _snapshot(admin, page)
        topics = [T.device(d, leaf) for d in page for leaf in (T.STATUS, T.REPORTED)]
        got = admin.read_retained_many(topics, wait_s)
        after = _snapshot(admin, page)
        found |= {d for d in page if got.get(T.device(d, T.REPORTED))}
        admin.rereads += len(page)
        admin.reread_corrections += sum(1 for d in page if before[d] != after[d])
    return found


def wait_for_verdicts(admin: FleetAdmin, devices: list[str], bundle_id: str, timeout: float,
                      deadlines: Deadlines = Deadlines(),
                      progress: Callable[[dict[str, DeviceVerdict]], None] | None = None
                      ) -> dict[str, DeviceVerdict]:
    """device -> its verdict, once every device has one (committed, refused, failed, or stuck /
    offline confirmed by a re-read); at `timeout` a device still moving is stuck where it is."""
    watch = PushWatch(devices, bundle_id, time.time())
    deadline = time.monotonic() + timeout
    while True:
        with admin._lock:
            views = {d: (admin.devices[d].online if d in admin.devices else None,
                         admin.devices[d].reported if d in admin.devices else {}) for d in devices}
        now = time.time()
        judged = watch.verdicts(views, now, deadlines)
        verdicts = watch.unconfirmed(judged, deadlines)
        if progress:
            progress(verdicts)
        if all(v.final for v in verdicts.values()):
            return verdicts
        if time.monotonic() > deadline:
            return {d: at_timeout(v) for d, v in judged.items()}
        due = watch.rereads_due(judged, now, deadlines)
        if due:
            found = reread_documents(admin, due)
            for d in due:
                watch.reread(d, now, d in found)
            continue
        with admin._changed:
            admin._changed.wait(0.5)
