"""When the avatar hands a visitor over to a member of staff: an explicit state machine. Pure.

States: WITH_AVATAR (all well) -> STRUGGLING (a failed turn, or an upset one) -> STAFF_CALLED.
A failed turn is one the kiosk could not answer (fallback, a clarifying question, asked to repeat).
Staff are called on the second upset turn in a row (distress, frustration, anger), or on the third
failed turn in a row; once per visitor. A turn that goes well returns to WITH_AVATAR; a new visitor
starts afresh.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .labels import Mood

FAILED_TURNS = 3
UPSET_TURNS = 2


class HandoverState(str, enum.Enum):
    WITH_AVATAR = "with_avatar"
    STRUGGLING = "struggling"
    STAFF_CALLED = "staff_called"


@dataclass(frozen=True)
class Handover:
    state: HandoverState = HandoverState.WITH_AVATAR
    failed: int = 0    # failed turns in a row
    upset: int = 0     # upset turns in a row

    def step(self, mood: Mood, failed: bool) -> tuple[Handover, bool]:
        """The next state after a turn, and whether staff are to be called now (the transition into STAFF_CALLED)."""
        if self.state is HandoverState.STAFF_CALLED:
            return self, False
        fails = self.failed + 1 if failed else 0
        upsets = self.upset + 1 if mood.upset else 0
        if fails >= FAILED_TURNS or upsets >= UPSET_TURNS:
            return Handover(HandoverState.STAFF_CALLED, fails, upsets), True
        state = HandoverState.STRUGGLING if fails or upsets else HandoverState.WITH_AVATAR
        return Handover(state, fails, upsets), False
