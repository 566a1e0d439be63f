"""The admin's verdict on one device for one pushed bundle, pure: what was observed and `now` in,
a verdict out. Every device ends with one: committed, refused (+ reason), failed (+ reason), stuck
at step S since T (no progress for the progress deadline), or offline (since T, for longer than the
offline deadline). Until then it is pending. Times are the admin's clock (seconds since the epoch):
a kiosk's own clock may be wrong, so "since" is when the admin saw the last change.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from .install_state import InstallState

STEP_OFFERED = "offered"         # the step of a device that has not said anything about the bundle yet


class Verdict(str, enum.Enum):
    PENDING = "pending"          # still moving, within its deadlines: not a verdict yet
    COMMITTED = "committed"
    REFUSED = "refused"          # rejected (or rolled back): `reason` says why
    FAILED = "failed"            # the download failed: `reason` and `detail` say why
    STUCK = "stuck"              # online, and no progress for the progress deadline
    OFFLINE = "offline"          # offline for longer than the offline deadline

    def __str__(self) -> str:
        return self.value


FINAL: tuple[Verdict, ...] = tuple(v for v in Verdict if v is not Verdict.PENDING)


@dataclass(frozen=True)
class Deadlines:
    progress_s: float = 120.0    # online with no change in its install record for this long: stuck
    offline_s: float = 120.0     # offline (its will, or never seen) for this long: offline

    def __post_init__(self):
        for name in ("progress_s", "offline_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"push deadline {name}={getattr(self, name)!r}: expected seconds > 0")


@dataclass(frozen=True)
class Observation:
    """What the admin saw of one device for the bundle."""
    record: dict | None          # its `reported.installs` record naming the bundle, if any
    online: bool
    changed_at: float            # when the record (state or progress) last changed, or the watch began
    offline_since: float | None = None


@dataclass(frozen=True)
class DeviceVerdict:
    verdict: Verdict
    step: str = ""               # the install state it was last at
    reason: str = ""
    detail: str = ""
    since: float | None = None   # stuck or offline since (admin clock)
    progress: float | None = None

    @property
    def final(self) -> bool:
        return self.verdict in FINAL

    def describe(self) -> str:
        """One line for a person: `stuck at downloading (42%) since 08:12:03 UTC`."""
        at = f" since {_clock(self.since)}" if self.since is not None else ""
        done = f" ({self.progress:.0%})" if self.progress is not None else ""
        if self.verdict in (Verdict.REFUSED, Verdict.FAILED):
            return f"{self.verdict}: {self.reason or '?'}" + (f" ({self.detail})" if self.detail else "")
        if self.verdict in (Verdict.STUCK, Verdict.PENDING):
            return f"{self.verdict} at {self.step}{done}{at}"
        if self.verdict is Verdict.OFFLINE:
            return f"offline{at} (last at {self.step}{done})"
        return str(self.verdict)

    def as_json(self) -> dict:
        return {"verdict": self.verdict.value, "step": self.step, "reason": self.reason, "detail": self.detail,
                "since": self.since, "progress": self.progress}


def _clock(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%H:%M:%S UTC")


def judge(obs: Observation, now: float, deadlines: Deadlines) -> DeviceVerdict:
    """The verdict on one device now."""
    rec = obs.record or {}
    state = str(rec.get("state") or STEP_OFFERED)
    reason, detail = str(rec.get("reason") or ""), str(rec.get("detail") or "")
    progress = rec.get("progress") if isinstance(rec.get("progress"), (int, float)) else None
    if state == InstallState.COMMITTED:
        return DeviceVerdict(Verdict.COMMITTED, state)
    if state in (InstallState.REJECTED, InstallState.ROLLED_BACK):
        return DeviceVerdict(Verdict.REFUSED, state, reason or state, detail)
    if state == InstallState.FAILED:
        return DeviceVerdict(Verdict.FAILED, state, reason or state, detail)
    if not obs.online:
        since = obs.offline_since if obs.offline_since is not None else obs.changed_at
        verdict = Verdict.OFFLINE if now - since >= deadlines.offline_s else Verdict.PENDING
        return DeviceVerdict(verdict, state, since=since, progress=progress)
    verdict = Verdict.STUCK if now - obs.changed_at >= deadlines.progress_s else Verdict.PENDING
    return DeviceVerdict(verdict, state, since=obs.changed_at, progress=progress)


def at_timeout(verdict: DeviceVerdict) -> DeviceVerdict:
    """The admin stops waiting: a device still pending is stuck where it is."""
    if verdict.final:
        return verdict
    return DeviceVerdict(Verdict.STUCK, verdict.step, "", "the admin's --timeout ran out", verdict.since,
                         verdict.progress)


def tally(verdicts: dict[str, DeviceVerdict]) -> dict[str, int]:
    """How many devices got each verdict (every verdict named, zeros included)."""
    out = {v.value: 0 for v in Verdict}
    for d in verdicts.values():
        out[d.verdict.value] += 1
    return out
