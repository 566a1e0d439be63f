"""How the avatar answers a mood: an expression, a pace, and a few words before the answer. Pure data.

Calm and slower for distress, an apology for frustration, a smile for thanks. Safety answers keep
their own wording (they are already calm and direct): only the expression and pace follow the mood.
"""

from __future__ import annotations

from dataclasses import dataclass

from .labels import Mood


@dataclass(frozen=True)
class MoodStyle:
    expression: str              # one of the rig's expressions (neutral, smile, surprised, thinking, sad)
    pace: float                  # speaking rate, 1.0 = the voice's own
    preface: dict[str, str]      # lang -> words said before the answer ("" for none)


STYLES: dict[Mood, MoodStyle] = {
    Mood.DISTRESS: MoodStyle("sad", 0.85, {"en": "I'm here to help.", "zh": "别着急，我来帮您。"}),
    Mood.URGENCY: MoodStyle("neutral", 1.0, {"en": "", "zh": ""}),
    Mood.FRUSTRATION: MoodStyle("sad", 0.9, {"en": "Sorry about that.", "zh": "抱歉，让您久等了。"}),
    Mood.ANGER: MoodStyle("neutral", 0.9, {"en": "I'm sorry.", "zh": "抱歉。"}),
    Mood.CONFUSION: MoodStyle("thinking", 0.9, {"en": "", "zh": ""}),
    Mood.THANKS: MoodStyle("smile", 1.0, {"en": "", "zh": ""}),
    Mood.NEUTRAL: MoodStyle("neutral", 1.0, {"en": "", "zh": ""}),
}
CONCERNED = "sad"   # the rig's expression for "concerned" (a safety answer shows it whatever the mood)


def style_for(mood: Mood) -> MoodStyle:
    return STYLES[mood]
