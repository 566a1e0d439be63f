"""Every voiced second the kiosk was given, and what became of it: nothing a visitor says is lost
without a reason.

Pure: the kiosk hands it each VAD frame the raw VAD called speech (`voiced`) and each turn's fate
(`turn`: answered, nothing recognised, a crowd or far talker, over the avatar's voice, …). A voiced
frame inside a turn's speech takes that turn's fate; one outside every turn was either under the
hall's level (the level gate held it back) or too short to be a turn. `settle` classifies what can
no longer join a turn, so a kiosk that runs for days keeps only the last few seconds; `summary` is
the run report's `voiced_seconds`.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

SETTLE_S = 5.0           # a frame this old, with no turn open, can no longer become part of one
UNDER_THE_HALL = "under the hall's level (crowd, far talker or too quiet)"
TOO_SHORT = "too short to be a turn (a click, a cough)"


@dataclass(frozen=True)
class Voiced:
    start: float
    seconds: float
    passed_gate: bool    # loud enough over the hall's floor for the endpointer to hear it


class VoiceLedger:
    def __init__(self) -> None:
        self._open: collections.deque[Voiced] = collections.deque()
        self._turns: list[tuple[float, float, str]] = []    # (speech start, speech end, fate), not yet settled
        self.seconds: collections.Counter[str] = collections.Counter()
        self.total = 0.0

    def voiced(self, start: float, seconds: float, passed_gate: bool) -> None:
        self._open.append(Voiced(start, seconds, passed_gate))
        self.total += seconds

    def turn(self, speech_start: float, speech_end: float, fate: str) -> None:
        self._turns.append((speech_start, speech_end, fate))

    def settle(self, now: float, open_turn_start: float | None) -> None:
        """Classify the frames that no turn can take any more: before `now - SETTLE_S` and before the
        open turn's start."""
        horizon = now - SETTLE_S if open_turn_start is None else min(now - SETTLE_S, open_turn_start)
        while self._open and self._open[0].start + self._open[0].seconds <= horizon:
            self._classify(self._open.popleft())
        self._turns = [t for t in self._turns if t[1] >= horizon - SETTLE_S]

    def close(self) -> None:
        while self._open:
            self._classify(self._open.popleft())

    def summary(self) -> dict:
        self.close()
        accounted = sum(self.seconds.values())
        return {"in": round(self.total, 2),
                "accounted": {fate: round(s, 2) for fate, s in sorted(self.seconds.items())},
                "unaccounted": round(max(0.0, self.total - accounted), 2)}

    def _classify(self, frame: Voiced) -> None:
        middle = frame.start + frame.seconds / 2
        fate = next((f for s, e, f in self._turns if s - 1e-6 <= middle <= e + 1e-6), None)
        if fate is None:
            fate = TOO_SHORT if frame.passed_gate else UNDER_THE_HALL
        self.seconds[fate] += frame.seconds
