"""Install states of one offered bundle on one device, and the moves allowed between them.

The values are what a device reports in ``reported.installs[<kind>].state`` and what the
admin reads back; the enum is str-valued, so the JSON on the wire and on disk is unchanged.
"""

from __future__ import annotations

import enum


class InstallState(str, enum.Enum):
    QUEUED = "queued"                        # offered; waits for the one download at a time
    DOWNLOADING = "downloading"
    INSTALLING = "installing"                # every chunk is here; the installer has it
    COMMITTED = "committed"
    REJECTED = "rejected"                    # refused; `reason` says why (errors.REJECTION_REASONS)
    FAILED = "failed"                        # the download failed (bad chunks, or chunks that never came)
    ROLLED_BACK = "rolled-back"              # an admin went back to the version before
    ALREADY_INSTALLED = "already-installed"  # the installer's answer to a repeat; reported as COMMITTED
    TIMEOUT = "timeout"                      # the admin's verdict on a device that did not finish in time

    def __str__(self) -> str:                # the value, as in the JSON (not "InstallState.COMMITTED")
        return self.value


_S = InstallState

# The device does nothing more about the bundle until the desired state, an admin command or a
# restart asks again. Tuples, not sets: membership tests on a peer's JSON never raise.
TERMINAL: tuple[InstallState, ...] = (_S.COMMITTED, _S.REJECTED, _S.FAILED, _S.ROLLED_BACK)
FAILURES: tuple[InstallState, ...] = (_S.REJECTED, _S.FAILED, _S.TIMEOUT)    # what counts against a rollout
IN_FLIGHT: tuple[InstallState, ...] = (_S.QUEUED, _S.DOWNLOADING, _S.INSTALLING)

# current state of one bundle on one device (None: no record of it yet) -> the states it may move to
TRANSITIONS: dict[InstallState | None, frozenset[InstallState]] = {
    None: frozenset({_S.QUEUED, _S.COMMITTED, _S.REJECTED, _S.ROLLED_BACK}),   # first look at an offer
    _S.QUEUED: frozenset({_S.DOWNLOADING}),
    _S.DOWNLOADING: frozenset({_S.INSTALLING, _S.FAILED}),
    _S.INSTALLING: frozenset({_S.COMMITTED, _S.REJECTED}),
    _S.COMMITTED: frozenset({_S.COMMITTED, _S.ROLLED_BACK}),
    _S.REJECTED: frozenset({_S.REJECTED, _S.QUEUED}),     # QUEUED: refused without a recorded refusal; retried
    _S.FAILED: frozenset({_S.QUEUED}),                   # a failed download is retried on the next reconcile
    _S.ROLLED_BACK: frozenset({_S.ROLLED_BACK}),
    _S.ALREADY_INSTALLED: frozenset(),                  # never a device's state: the installer's answer
    _S.TIMEOUT: frozenset(),                            # never a device's state: the admin's verdict
}


class IllegalTransition(RuntimeError):
    """A move the table above does not allow (names both states)."""

    def __init__(self, current: InstallState | None, nxt: InstallState):
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS.get(current, ()))) or "nothing"
        super().__init__(f"install state {current.value if current else 'new'} -> {nxt.value} is not allowed "
                         f"(from {current.value if current else 'new'}: {allowed})")
        self.current = current
        self.next = nxt


def advance(current: InstallState | None, nxt: InstallState) -> InstallState:
    """`nxt` if the table allows the move from `current` (None: a bundle not seen yet), else raise."""
    nxt = InstallState(nxt)
    if nxt not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(current, nxt)
    return nxt
