"""What the safety layer can find in a visitor's turn."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SafetyKind(str, enum.Enum):
    EMERGENCY = "emergency"          # fire, injury, someone collapsed or unwell, violence
    LOST_CHILD = "lost_child"        # a lost child or a separated family member (or a child found alone)
    SCAM = "scam"                    # someone is being led to move money, pay, or share a code
    PERSONAL_DATA = "personal_data"  # other people's data, recordings, camera footage

    @property
    def alerts_staff(self) -> bool:
        """Does this kind call a member of staff (over the fleet link, retained until acknowledged)?"""
        return self is not SafetyKind.PERSONAL_DATA


@dataclass(frozen=True)
class SafetyCall:
    kind: SafetyKind
    cue: str          # the words that decided it (for the log and the report)
