"""What the launcher does, pure: which slot to start, and the trial of a new runtime version as one
state machine (phase enum, its moves in one table). Time and events are passed in.

A trial starts the new version; its health check — every ``Check`` the trial requires, each an
sd_notify line of the kiosk (``runtime.shared.runtime_slots``): listening, rendering, and the fleet
connected when the kiosk runs an embedded fleet agent — must pass within the trial's ready deadline,
and the process must then stay up for its settle time. A start that ends before that counts against
``max_starts`` (a version that cannot start, or crashes in a loop); a version whose health check does
not pass in time is rolled back at its deadline, with the checks that failed named.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

from runtime.shared.runtime_slots import (
    COMMITTED,
    FLEET_CONNECTED,
    LISTENING,
    RENDERING,
    ROLLED_BACK,
    SlotVerdict,
    Trial,
)

_LOGGER = logging.getLogger(__name__)


class Start(str, enum.Enum):
    CURRENT = "current"           # no trial: the slot current/runtime points at (or the base install)
    TRIAL = "trial"               # switch to the new slot and start it, judged
    ROLL_BACK = "roll-back"       # the trial used up its starts: back to where it came from
    FINISH = "finish"             # a verdict was written but not applied (power loss): apply it


def plan_start(trial: Trial | None, verdict: SlotVerdict | None, starts: int,
               slot_ready: bool = True) -> tuple[Start, str]:
    """(what to do at this start, why). `slot_ready`: the trial's slot has its `edge-avatar`."""
    if trial is None:
        return Start.CURRENT, ""
    if verdict is not None and verdict.bundle_id == trial.bundle_id:
        return Start.FINISH, verdict.detail
    if not slot_ready:
        return Start.ROLL_BACK, f"{trial.version}: its slot {trial.to} has no edge-avatar (not prepared, or removed)"
    if starts >= trial.max_starts:
        return Start.ROLL_BACK, (f"{starts} starts of {trial.version} ended before it was ready and up for "
                                 f"{trial.settle_s:g} s (it cannot start, or crashes in a loop)")
    return Start.TRIAL, f"start {starts + 1} of at most {trial.max_starts}"


class Check(str, enum.Enum):
    """One part of a trial's health check: its sd_notify line, and what its absence means."""
    LISTENING = LISTENING
    RENDERING = RENDERING
    FLEET = FLEET_CONNECTED

    @property
    def label(self) -> str:
        return {Check.LISTENING: "listening", Check.RENDERING: "rendering", Check.FLEET: "fleet connected"}[self]

    @property
    def failure(self) -> str:
        return {Check.LISTENING: "not listening (recogniser not loaded or listener not running)",
                Check.RENDERING: "not rendering (no frame drawn)",
                Check.FLEET: "fleet not connected (the embedded agent's MQTT link never came up)"}[self]


def required_checks(trial: Trial) -> frozenset[Check]:
    return frozenset({Check.LISTENING, Check.RENDERING} | ({Check.FLEET} if trial.require_fleet else set()))


def checks_in(message: str) -> set[Check]:
    """The checks one sd_notify datagram reports passed (one variable a line)."""
    lines = set(message.split("\n"))
    return {c for c in Check if c.value in lines}


class Phase(str, enum.Enum):
    STARTING = "starting"         # started, its health check not passed yet
    SETTLING = "settling"         # every required check passed; must stay up for settle_s
    PASSED = "passed"             # commit it
    CRASHED = "crashed"           # ended before it settled: counts as a failed start
    NOT_READY = "not-ready"       # a check not passed within the deadline: roll back


MOVES: dict[Phase, frozenset[Phase]] = {
    Phase.STARTING: frozenset({Phase.SETTLING, Phase.CRASHED, Phase.NOT_READY}),
    Phase.SETTLING: frozenset({Phase.PASSED, Phase.CRASHED}),
    Phase.PASSED: frozenset(),
    Phase.CRASHED: frozenset(),
    Phase.NOT_READY: frozenset(),
}


@dataclass
class TrialRun:
    """One start of a trial version: events in (passed checks, exited, tick), its phase out."""
    trial: Trial
    started_at: float
    phase: Phase = Phase.STARTING
    ready_at: float | None = None
    detail: str = ""
    passed: set[Check] = field(default_factory=set)

    def _move(self, new: Phase, detail: str = "") -> None:
        if new not in MOVES[self.phase]:
            _LOGGER.warning("runtime trial %s -> %s is not allowed; ignored", self.phase.value, new.value)
            return
        self.phase, self.detail = new, detail or self.detail

    @property
    def over(self) -> bool:
        return not MOVES[self.phase]

    @property
    def missing(self) -> list[Check]:
        return [c for c in Check if c in required_checks(self.trial) - self.passed]

    def checked(self, checks: set[Check], now: float) -> None:
        if self.phase is not Phase.STARTING:
            return
        self.passed |= checks
        if not self.missing:
            self.ready_at = now
            self._move(Phase.SETTLING)

    def exited(self, code: int, now: float) -> None:
        if self.phase in (Phase.STARTING, Phase.SETTLING):
            when = ("before its health check passed" if self.phase is Phase.STARTING
                    else f"{now - (self.ready_at or now):.0f} s after its health check passed")
            self._move(Phase.CRASHED, f"{self.trial.version} exited with {code} {when}")

    def tick(self, now: float) -> None:
        if self.phase is Phase.STARTING and now - self.started_at >= self.trial.ready_deadline_s:
            self._move(Phase.NOT_READY, f"{self.trial.version} was not ready within {self.trial.ready_deadline_s:g} s: "
                                        + "; ".join(c.failure for c in self.missing))
        elif self.phase is Phase.SETTLING and now - (self.ready_at or now) >= self.trial.settle_s:
            self._move(Phase.PASSED, f"{self.trial.version} {', '.join(c.label for c in Check if c in self.passed)} "
                                     f"and up for {self.trial.settle_s:g} s")

    def wait_s(self, now: float) -> float:
        """How long the launcher may wait for the next event before a tick is due."""
        if self.phase is Phase.STARTING:
            return max(0.0, self.started_at + self.trial.ready_deadline_s - now)
        if self.phase is Phase.SETTLING:
            return max(0.0, (self.ready_at or now) + self.trial.settle_s - now)
        return 0.0


def verdict_of(trial: Trial, outcome: str, detail: str) -> SlotVerdict:
    assert outcome in (COMMITTED, ROLLED_BACK), outcome
    return SlotVerdict(trial.bundle_id, trial.version, outcome, detail)
