"""PushWatch: the admin's running observation of one pushed bundle on a list of devices: when
each device's install record last changed (state or progress) and since when it is offline, on
the admin's clock. It turns the fleet view into ``push_verdict.Observation``s; the verdicts are
``push_verdict.judge``'s.

It also says which devices to read again from the broker's retained documents (``rereads_due``).
A broker drops messages to a subscriber that falls behind (Mosquitto: more than
``max_queued_messages``, 1 000 by default, waiting for the admin — a thousand kiosks reconnecting
after a broker restart reach it), so the admin's live view can miss a device's last report for
good. The retained `reported`/`status` on the device's exact topics are always the latest: a
device quiet for ``REREAD_QUIET_S`` is read again (at most that often), and a stuck or offline
verdict stands only once a read made after its deadline passed confirms it."""

from __future__ import annotations

from .push_verdict import Deadlines, DeviceVerdict, Observation, Verdict, judge

REREAD_QUIET_S = 15.0           # a device with no news for this long is read again from the retained documents
REREAD_EMPTY_TRIES = 3          # reads that found nothing retained before "nothing there" counts as read


def install_record(reported: dict, bundle_id: str) -> dict | None:
    """A device's install record for the bundle, whichever kind it is under (None: no record)."""
    for rec in (reported.get("installs") or {}).values():
        if isinstance(rec, dict) and rec.get("bundle_id") == bundle_id:
            return rec
    return None


class PushWatch:
    def __init__(self, devices: list[str], bundle_id: str, started_at: float):
        if not devices:
            raise ValueError("a push watch needs at least one device")
        self.devices = list(devices)
        self.bundle_id = bundle_id
        self._seen: dict[str, tuple] = {}               # device -> (state, progress) last seen
        self._changed_at = dict.fromkeys(self.devices, started_at)
        self._offline_since: dict[str, float | None] = dict.fromkeys(self.devices, None)
        self._online: dict[str, bool] = {}
        self._reread_at: dict[str, float] = {}          # device -> when a re-read last brought its documents
        self._tried_at: dict[str, float] = {}           # device -> when a re-read of it last began
        self._empty_reads: dict[str, int] = {}          # device -> re-reads that brought nothing

    def observe(self, device: str, online: bool | None, reported: dict, now: float) -> Observation:
        """One device as the admin sees it now (online None: it never announced itself)."""
        rec = install_record(reported, self.bundle_id)
        key = (rec or {}).get("state"), (rec or {}).get("progress")
        if self._seen.get(device) != key:
            self._seen[device] = key
            self._changed_at[device] = now
        was = self._online.get(device)
        is_online = bool(online)
        if is_online and was is False:
            self._changed_at[device] = now                 # back: its deadline starts again
        if not is_online and (was or was is None) and self._offline_since[device] is None:
            self._offline_since[device] = now
        if is_online:
            self._offline_since[device] = None
        self._online[device] = is_online
        return Observation(rec, is_online, self._changed_at[device], self._offline_since[device])

    def verdicts(self, views: dict, now: float, deadlines: Deadlines) -> dict[str, DeviceVerdict]:
        """device -> verdict; `views`: device id -> (online or None, reported document)."""
        return {d: judge(self.observe(d, *views.get(d, (None, {})), now), now, deadlines) for d in self.devices}

    # ---- re-reads of the retained documents ------------------------------------------------------
    def rereads_due(self, verdicts: dict[str, DeviceVerdict], now: float, deadlines: Deadlines,
                    quiet_s: float = REREAD_QUIET_S) -> list[str]:
        """Devices to read again now: stuck or offline ones not yet confirmed by a read made after
        their deadline passed, and pending ones quiet for `quiet_s` and not read for as long."""
        due = []
        for device, v in verdicts.items():
            last = self._reread_at.get(device)
            if v.verdict in (Verdict.STUCK, Verdict.OFFLINE):
                limit = deadlines.offline_s if v.verdict is Verdict.OFFLINE else deadlines.progress_s
                if last is None or last < (v.since or 0.0) + limit:
                    due.append(device)
            elif v.verdict is Verdict.PENDING and v.since is not None and now - v.since >= quiet_s \
                    and now - self._tried_at.get(device, float("-inf")) >= quiet_s:
                due.append(device)
        return due

    def unconfirmed(self, verdicts: dict[str, DeviceVerdict], deadlines: Deadlines) -> dict[str, DeviceVerdict]:
        """The verdicts, with a stuck or offline one not yet confirmed by a re-read turned pending."""
        out = {}
        for device, v in verdicts.items():
            if v.verdict in (Verdict.STUCK, Verdict.OFFLINE):
                limit = deadlines.offline_s if v.verdict is Verdict.OFFLINE else deadlines.progress_s
                last = self._reread_at.get(device)
                if last is None or last < (v.since or 0.0) + limit:
                    v = DeviceVerdict(Verdict.PENDING, v.step, v.reason, v.detail, v.since, v.progress)
            out[device] = v
        return out

    def reread(self, device: str, started_at: float, found: bool) -> None:
        """A re-read begun at `started_at` is over: it counts if it brought the device's documents,
        or if REREAD_EMPTY_TRIES reads found nothing retained (a device that never reported)."""
        self._tried_at[device] = started_at
        if not found:
            self._empty_reads[device] = self._empty_reads.get(device, 0) + 1
            if self._empty_reads[device] < REREAD_EMPTY_TRIES:
                return
        self._reread_at[device] = started_at
