"""The moods a turn can carry (the red-team sets' `mood:` labels)."""

from __future__ import annotations

import enum


class Mood(str, enum.Enum):
    DISTRESS = "distress"        # frightened, upset, in pain
    URGENCY = "urgency"          # in a hurry, pressed
    FRUSTRATION = "frustration"  # the kiosk is failing them
    ANGER = "anger"              # insults, shouting at the kiosk or someone
    CONFUSION = "confusion"      # unsure, lost in what is happening
    THANKS = "thanks"            # grateful, pleased
    NEUTRAL = "neutral"

    @property
    def upset(self) -> bool:
        """Moods that, repeated, hand the visitor over to a member of staff."""
        return self in (Mood.DISTRESS, Mood.FRUSTRATION, Mood.ANGER)
