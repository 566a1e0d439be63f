"""What the launcher does, pure: which slot to start, and the trial of a new runtime version as one
state machine (phase enum, its moves in one table). Time and events are passed in.

A trial starts the new version; READY=1 (the kiosk's sd_notify: avatar on screen, listening) must
come within the trial's ready deadline, and the process must then stay up for its settle time.
A start that ends before that counts against ``max_starts`` (a version that cannot start, or
crashes in a loop); a version that never says READY is rolled back at its deadline.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from runtime.shared.runtime_slots import COMMITTED, ROLLED_BACK, SlotVerdict, Trial

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


class Phase(str, enum.Enum):
    STARTING = "starting"         # started, no READY=1 yet
    SETTLING = "settling"         # READY=1 came; must stay up for settle_s
    PASSED = "passed"             # commit it
    CRASHED = "crashed"           # ended before it settled: counts as a failed start
    NOT_READY = "not-ready"       # no READY=1 within the deadline: roll back


MOVES: dict[Phase, frozenset[Phase]] = {
    Phase.STARTING: frozenset({Phase.SETTLING, Phase.CRASHED, Phase.NOT_READY}),
    Phase.SETTLING: frozenset({Phase.PASSED, Phase.CRASHED}),
    Phase.PASSED: frozenset(),
    Phase.CRASHED: frozenset(),
    Phase.NOT_READY: frozenset(),
}


@dataclass
class TrialRun:
    """One start of a trial version: events in (ready, exited, tick), its phase out."""
    trial: Trial
    started_at: float
    phase: Phase = Phase.STARTING
    ready_at: float | None = None
    detail: str = ""

    def _move(self, new: Phase, detail: str = "") -> None:
        if new not in MOVES[self.phase]:
            _LOGGER.warning("runtime trial %s -> %s is not allowed; ignored", self.phase.value, new.value)
            return
        self.phase, self.detail = new, detail or self.detail

    @property
    def over(self) -> bool:
        return not MOVES[self.phase]

    def ready(self, now: float) -> None:
        if self.phase is Phase.STARTING:
            self.ready_at = now
            self._move(Phase.SETTLING)

    def exited(self, code: int, now: float) -> None:
        if self.phase in (Phase.STARTING, Phase.SETTLING):
            when = "before READY" if self.phase is Phase.STARTING else f"{now - (self.ready_at or now):.0f} s after READY"
            self._move(Phase.CRASHED, f"{self.trial.version} exited with {code} {when}")

    def tick(self, now: float) -> None:
        if self.phase is Phase.STARTING and now - self.started_at >= self.trial.ready_deadline_s:
            self._move(Phase.NOT_READY, f"{self.trial.version} was not ready (no READY=1: not on screen and "
                                        f"listening) within {self.trial.ready_deadline_s:g} s")
        elif self.phase is Phase.SETTLING and now - (self.ready_at or now) >= self.trial.settle_s:
            self._move(Phase.PASSED, f"{self.trial.version} ready and up for {self.trial.settle_s:g} s")

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
