"""Where the listener is in a visitor's turn, as the front end needs it for the next frame."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TurnPhase(enum.Enum):
    IDLE = "idle"           # no turn open
    SPEAKING = "speaking"   # the visitor is talking
    PAUSED = "paused"       # a turn is open, but they have fallen silent (it may yet end)


@dataclass(frozen=True)
class TurnState:
    phase: TurnPhase = TurnPhase.IDLE
    level_db: float | None = None   # the median level of the open turn's speech so far

    @property
    def in_turn(self) -> bool:
        return self.phase is not TurnPhase.IDLE

    @property
    def paused(self) -> bool:
        return self.phase is TurnPhase.PAUSED


NO_TURN = TurnState()
