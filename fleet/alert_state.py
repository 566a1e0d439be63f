"""States of one staff alert on its device, and the moves allowed between them.

raised -> published -> acknowledged. The values are what the device keeps in its alert file
(``DATA/alerts.json``); the enum is str-valued, so the JSON on disk is the plain value.
"""

from __future__ import annotations

import enum


class AlertState(str, enum.Enum):
    RAISED = "raised"              # kept on disk; its retained copy has not come back from the broker yet
    PUBLISHED = "published"        # its retained copy came back on the device's own subscription: the broker holds it
    ACKNOWLEDGED = "acknowledged"  # an empty retained message cleared it: gone from the file

    def __str__(self) -> str:      # the value, as in the JSON
        return self.value


_S = AlertState

# current state -> the states it may move to. RAISED -> ACKNOWLEDGED: the clear can come before the
# copy of a re-publication it raced with (a reconnect); an admin only clears an alert it has seen.
TRANSITIONS: dict[AlertState, frozenset[AlertState]] = {
    _S.RAISED: frozenset({_S.PUBLISHED, _S.ACKNOWLEDGED}),
    _S.PUBLISHED: frozenset({_S.PUBLISHED, _S.ACKNOWLEDGED}),   # every re-publication comes back too
    _S.ACKNOWLEDGED: frozenset(),                                # final: nothing brings an alert back
}


class IllegalAlertMove(RuntimeError):
    """A move the table above does not allow (names both states)."""

    def __init__(self, current: AlertState, nxt: AlertState):
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "nothing"
        super().__init__(f"alert state {current.value} -> {nxt.value} is not allowed (from {current.value}: {allowed})")
        self.current = current
        self.next = nxt


def advance(current: AlertState, nxt: AlertState) -> AlertState:
    """`nxt` if the table allows the move from `current`, else raise ``IllegalAlertMove``."""
    nxt = AlertState(nxt)
    if nxt not in TRANSITIONS[current]:
        raise IllegalAlertMove(current, nxt)
    return nxt
