"""RightsWatch: the assets a running kiosk uses, each in force until its consent ends or an admin
revokes it (pure: records, site, time and the revoked ids in; the assets that just ended out).

Each asset's state is one enum with one legal move, IN_FORCE -> ENDED: an ended asset never comes
back in the same run (a consent renewed arrives as a new signed bundle, installed as any other).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from .consent import Site, Verdict, judge
from .record import RightsRecord


class AssetState(str, enum.Enum):
    IN_FORCE = "in-force"
    ENDED = "ended"


@dataclass
class WatchedAsset:
    kind: str
    record: RightsRecord
    state: AssetState = AssetState.IN_FORCE
    verdict: Verdict | None = None
    ended_at: dt.datetime | None = None


class RightsWatch:
    def __init__(self, records: dict[str, RightsRecord], site: Site):
        self.site = site
        self.assets = {kind: WatchedAsset(kind, rec) for kind, rec in records.items()}

    def tick(self, now: dt.datetime, revoked: frozenset[str] = frozenset(),
             clock_trusted: bool = True) -> list[WatchedAsset]:
        """Judge every asset still in force at `now`; returns those that ended just now."""
        ended = []
        for asset in self.assets.values():
            if asset.state is AssetState.ENDED:
                continue
            asset.verdict = judge(asset.record, self.site, now, revoked, clock_trusted)
            if not asset.verdict.allowed:
                asset.state, asset.ended_at = AssetState.ENDED, now
                ended.append(asset)
        return ended

    def summary(self) -> list[dict]:
        """One line per asset for the status screen, telemetry and the run report."""
        out = []
        for a in self.assets.values():
            v = a.verdict
            out.append({"kind": a.kind, "asset_id": a.record.asset_id, "origin": a.record.origin.value,
                        "state": a.state.value, "standing": v.standing.value if v else None,
                        "until": v.until.isoformat() if v and v.until else None,
                        "reason": v.reason if v else ""})
        return out
