"""PushWatch: the admin's running observation of one pushed bundle on a list of devices: when
each device's install record last changed (state or progress) and since when it is offline, on
the admin's clock. It turns the fleet view into ``push_verdict.Observation``s; the verdicts are
``push_verdict.judge``'s."""

from __future__ import annotations

from .push_verdict import Deadlines, DeviceVerdict, Observation, judge


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
