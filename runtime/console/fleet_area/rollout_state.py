"""A console rollout's life, as one state machine: every change of `Rollout.state` goes through `advance`."""

from __future__ import annotations

import enum


class RolloutState(str, enum.Enum):
    PUBLISHING = "publishing"        # the bundle's chunks are going to the broker
    RUNNING = "running"              # waves under way
    COMPLETE = "complete"            # every wave done under the abort threshold
    ABORTED = "aborted"              # failures passed the abort threshold: the rest left untouched
    STOPPED = "stopped"              # an admin pressed Abort
    FAILED = "failed"                # the console could not go on (broker gone, bundle unreadable): `error` says why
    ROLLING_BACK = "rolling-back"    # an admin asked for the kiosks that committed to go back
    ROLLED_BACK = "rolled-back"

    def __str__(self) -> str:
        return self.value


_S = RolloutState
TRANSITIONS: dict[RolloutState, tuple[RolloutState, ...]] = {
    _S.PUBLISHING: (_S.RUNNING, _S.STOPPED, _S.FAILED),
    _S.RUNNING: (_S.COMPLETE, _S.ABORTED, _S.STOPPED, _S.FAILED),
    _S.COMPLETE: (_S.ROLLING_BACK,),
    _S.ABORTED: (_S.ROLLING_BACK,),
    _S.STOPPED: (_S.ROLLING_BACK,),
    _S.FAILED: (_S.ROLLING_BACK,),
    _S.ROLLING_BACK: (_S.ROLLED_BACK, _S.FAILED),
    _S.ROLLED_BACK: (),
}
UNDER_WAY = (_S.PUBLISHING, _S.RUNNING, _S.ROLLING_BACK)


class IllegalRolloutStep(ValueError):
    pass


def advance(old: RolloutState | str, new: RolloutState) -> RolloutState:
    old = RolloutState(old)
    if new not in TRANSITIONS[old]:
        raise IllegalRolloutStep(f"rollout cannot go from {old} to {new}")
    return new


def can_abort(state: RolloutState | str) -> bool:
    return RolloutState.STOPPED in TRANSITIONS[RolloutState(state)]


def can_roll_back(state: RolloutState | str) -> bool:
    return RolloutState.ROLLING_BACK in TRANSITIONS[RolloutState(state)]
