"""Running a rollout in waves over a FleetAdmin: what `edge-avatar fleet rollout` and the web console
both do (one implementation). The decisions are `rollout_plan`'s (pure); this drives them: publish
each wave's desired state, wait for the installs, judge, stop above the abort threshold (optionally
rolling back the kiosks that had committed), or finish by setting the group's desired state.

What happens is told to a `RolloutEvents` (the CLI prints, the console stores and streams);
`stop_requested` (checked while a wave is waited for) lets an admin abort a rollout under way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from .install_state import InstallState
from .messages import Offer
from .push_verdict import Deadlines
from .rollout_plan import WaveVerdict, judge, plan_waves


class RolloutEvents(Protocol):
    def planned(self, plan: list[list[str]]) -> None: ...
    def wave_progress(self, n: int, states: dict[str, str]) -> None: ...
    def wave_done(self, n: int, wave_results: dict[str, dict], verdict: WaveVerdict) -> None: ...
    def rolled_back(self, devices: list[str], replies: dict[str, list[dict]]) -> None: ...


@dataclass(frozen=True)
class RolloutRequest:
    offer: Offer
    members: list[str]
    waves: list[float]                  # rollout_plan.parse_waves
    abort_at: float                     # failure rate above which the rollout stops
    wave_timeout: float
    deadlines: Deadlines = Deadlines()
    rollback_on_abort: bool = False
    group: str | None = None            # set the group's desired state at the end (kiosks that join later)


@dataclass
class RolloutOutcome:
    state: str                          # complete | aborted | stopped
    waves_done: int
    results: dict[str, str] = field(default_factory=dict)     # device -> final install state
    verdict: WaveVerdict | None = None
    rolled_back: list[str] = field(default_factory=list)


class StopRequested(Exception):
    """Raised out of the wait when `stop_requested()` says so (an admin pressed Abort)."""


def run_rollout(admin, req: RolloutRequest, events: RolloutEvents,
                stop_requested: Callable[[], bool] = lambda: False) -> RolloutOutcome:
    offer = req.offer
    plan = plan_waves(req.members, req.waves, offer.bundle_id)
    events.planned(plan)
    results: dict[str, str] = {}
    for n, wave in enumerate(plan, 1):
        admin.update_desired_many([("device", d) for d in wave], bundles={offer.kind: offer})

        def progress(states: dict, n=n) -> None:
            events.wave_progress(n, {d: str(s) for d, s in states.items()})
            if stop_requested():
                raise StopRequested()
        try:
            wave_results = admin.wait_for_installs(wave, offer.bundle_id, req.wave_timeout, progress, req.deadlines)
        except StopRequested:
            _withdraw(admin, offer, [d for d in wave if d not in results])
            return RolloutOutcome("stopped", n - 1, results, judge(results, req.abort_at))
        results.update({d: str(r.get("state")) for d, r in wave_results.items()})
        verdict = judge(results, req.abort_at)
        events.wave_done(n, wave_results, verdict)
        if verdict.action == "abort":
            _withdraw(admin, offer, [d for d in wave if results.get(d) != InstallState.COMMITTED])
            done = rollback(admin, offer.kind, [d for d, s in results.items() if s == InstallState.COMMITTED],
                            events) if req.rollback_on_abort else []
            return RolloutOutcome("aborted", n, results, verdict, done)
    if req.group:
        admin.update_desired(("group", req.group), bundles={offer.kind: offer})
    return RolloutOutcome("complete", len(plan), results, judge(results, req.abort_at))


def _withdraw(admin, offer: Offer, devices: list[str]) -> None:
    """Take the offer back from kiosks that did not commit it (they keep what they run)."""
    if devices:
        admin.update_desired_many([("device", d) for d in devices], bundles={offer.kind: None})


def rollback(admin, kind: str, devices: list[str], events: RolloutEvents | None = None,
             timeout: float = 60.0) -> list[str]:
    """Each device back to the version before: clear the desired bundle, then the `rollback` command."""
    replies = {}
    for device in devices:
        admin.update_desired(("device", device), bundles={kind: None})
        replies[device] = admin.command(("device", device), "rollback", {"kind": kind}, timeout=timeout)
    if events is not None:
        events.rolled_back(devices, replies)
    return devices
