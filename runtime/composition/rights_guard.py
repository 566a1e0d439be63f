"""The kiosk honours the rights of what the fleet installed, offline and on time.

At start (``usable_installs``) an installed character, voice, model or content pack whose consent
has ended or was revoked is not used: the kiosk starts on the default one. While it runs,
``RightsGuard.tick`` (every audio chunk) judges the assets in use on the trusted clock
(``runtime/rights/clock.py``) and re-reads ``DATA/revocations.json`` when the agent writes it; when
one ends, the character is replaced live by the default one, content by the bundled pack, and a
voice or model by a restart (exit 75) on the default. Each change is a ``rights`` event (the
report, the service status, the fleet telemetry). The time line: the system clock on a live kiosk;
on a file run (a simulated kiosk), the wall clock at its first chunk moved on by the file's own time line, so
a minute of input is a minute of the kiosk's life.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Callable

from runtime.ops.event_recorder import EventKind
from runtime.rights.clock import TrustedClock
from runtime.rights.consent import Site, judge
from runtime.rights.files import read_clock_floor, read_record, read_revocations, write_clock_floor
from runtime.rights.record import RightsError, RightsRecord, iso
from runtime.rights.signature import RECORD
from runtime.rights.watch import RightsWatch, WatchedAsset

_LOGGER = logging.getLogger(__name__)
WATCHED_KINDS = ("avatar", "content", "voice", "asr-model", "tflite-model")
FLOOR_EVERY_S = 60.0          # how often a live kiosk saves its clock floor
REVOCATION_POLL_S = 0.5


def installed_records(data_dir: Path) -> dict[str, RightsRecord]:
    """kind -> the rights record of the installed version (the installer checked its signature)."""
    out = {}
    for kind in WATCHED_KINDS:
        folder = Path(data_dir) / "current" / kind
        if (folder / RECORD).is_file():
            try:
                out[kind] = read_record(folder)
            except RightsError as err:     # verified at install; a hand edit may break it
                _LOGGER.error("%s: %s; not using it", kind, err)
                out[kind] = None
        elif folder.is_dir():
            _LOGGER.warning("installed %s %s has no rights record (installed before records were required); "
                            "it runs unchecked until the fleet replaces it", kind, folder.resolve().name)
    return out


def kinds_in_use(data_dir: Path, avatar_dir: Path | None, content_dir: Path, model_dirs) -> frozenset[str]:
    """The installed kinds a run's config points at (not an admin's --avatar, nor a default)."""
    current = Path(data_dir).absolute() / "current"
    used = {"avatar": avatar_dir, "content": content_dir, **{Path(d).name: d for d in model_dirs}}
    return frozenset(kind for kind, folder in used.items()
                     if folder is not None and Path(folder).absolute() == current / kind)


def trusted_clock(data_dir: Path) -> TrustedClock:
    return TrustedClock(read_clock_floor(data_dir), time.monotonic())


def unusable_kinds(data_dir: Path, site: Site, now: dt.datetime, clock_trusted: bool = True) -> dict[str, str]:
    """kind -> why the installed version may not be used now (expired, revoked, out of scope, broken,
    a real person's and the clock known wrong)."""
    revoked = frozenset(read_revocations(data_dir))
    out = {}
    for kind, record in installed_records(data_dir).items():
        if record is None:
            out[kind] = "its rights record is unreadable"
            continue
        verdict = judge(record, site, now, revoked, clock_trusted)
        if not verdict.allowed:
            out[kind] = verdict.reason
    return out


class RightsGuard:
    def __init__(self, kiosk, data_dir: Path, site: Site, simulated: bool, in_use: frozenset[str],
                 on_status: Callable[[str], None] | None = None, wall: Callable[[], dt.datetime] | None = None):
        """`in_use`: the installed kinds the kiosk runs on (one barred at start is not watched)."""
        self.kiosk = kiosk
        self.data_dir = Path(data_dir)
        self.simulated = simulated
        self.on_status = on_status
        self._wall = wall or (lambda: dt.datetime.now(dt.timezone.utc))
        self.clock = trusted_clock(self.data_dir)
        records = {k: r for k, r in installed_records(self.data_dir).items() if r is not None and k in in_use}
        self.watch = RightsWatch(records, site)
        self.events: list[dict] = []
        self._start_wall, self._start_t = None, None      # the wall clock and session time at the first chunk
        self._revocations_mtime: float | None = -1.0
        self._revoked: frozenset[str] = frozenset()
        self._next_poll = self._next_floor = 0.0

    def now(self, t: float) -> dt.datetime:
        if self._start_t is None:
            self._start_wall, self._start_t = self._wall(), t
        wall = (self._start_wall + dt.timedelta(seconds=t - self._start_t)) if self.simulated else self._wall()
        return self.clock.now(wall, t)

    def tick(self, t: float) -> None:
        """Each audio chunk (session time `t`): judge the assets in use; replace any that ended."""
        if not self.watch.assets:
            return
        now = self.now(t)
        if t >= self._next_poll:
            self._next_poll = t + REVOCATION_POLL_S
            self._poll_revocations()
        if not self.simulated and t >= self._next_floor:
            self._next_floor = t + FLOOR_EVERY_S
            write_clock_floor(self.data_dir, now)
        for asset in self.watch.tick(now, self._revoked, self.clock.trusted):
            self._replace(asset, t, now)

    def _poll_revocations(self) -> None:
        path = self.data_dir / "revocations.json"
        mtime = path.stat().st_mtime if path.exists() else None
        if mtime != self._revocations_mtime:
            self._revocations_mtime = mtime
            self._revoked = frozenset(read_revocations(self.data_dir))

    def _replace(self, asset: WatchedAsset, t: float, now: dt.datetime) -> None:
        from .config import DEFAULT_CONTENT
        reason = asset.verdict.reason if asset.verdict else "ended"
        if asset.kind == "avatar":
            from .file_labelling import character_ref
            self.kiosk.view.change_avatar(None)
            self.kiosk.view.labeller = self.kiosk.view.labeller.with_assets([r for r in (character_ref(None),) if r])
            action = "the default character"
        elif asset.kind == "content":
            self.kiosk.reload_content(DEFAULT_CONTENT)
            action = "the bundled content pack"
        else:
            self.kiosk.stop_requested = f"restart: {asset.kind} {asset.record.asset_id} may no longer be used"
            action = f"a restart on the default {asset.kind}"
        event = {"t": round(t, 3), "at": iso(now), "kind": asset.kind, "asset_id": asset.record.asset_id,
                 "standing": asset.verdict.standing.value if asset.verdict else "ended",
                 "reason": reason, "now_using": action}
        self.events.append(event)
        _LOGGER.warning("rights: %s %s may no longer be shown (%s): switched to %s", asset.kind,
                        asset.record.asset_id, reason, action)
        self.kiosk.events.record(EventKind.RIGHTS, event)
        if self.on_status:
            self.on_status(f"{asset.kind} {asset.record.asset_id} replaced by {action}: {reason}")

    def close(self) -> None:
        if not self.simulated and self.clock.floor is not None:
            write_clock_floor(self.data_dir, self.clock.floor)

    def record(self) -> dict:
        return {"assets": self.watch.summary(), "events": self.events}
