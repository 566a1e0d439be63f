"""Avatar parameters in the spirit of Live2D's standard set: names, ranges, defaults.

A pose is a plain `dict[str, float]` of these; every animation stage reads and
writes it, the renderer only reads it. Packs may add their own (e.g. a swing
parameter driven by physics).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParamSpec:
    minimum: float
    maximum: float
    default: float

    def clamp(self, value: float) -> float:
        return min(self.maximum, max(self.minimum, value))


STANDARD: dict[str, ParamSpec] = {
    "ParamAngleX": ParamSpec(-30, 30, 0),       # head turn left/right, degrees
    "ParamAngleY": ParamSpec(-30, 30, 0),       # head nod up/down
    "ParamAngleZ": ParamSpec(-30, 30, 0),       # head roll (tilt)
    "ParamBodyAngleX": ParamSpec(-10, 10, 0),
    "ParamBreath": ParamSpec(0, 1, 0),
    "ParamEyeLOpen": ParamSpec(0, 1, 1),
    "ParamEyeROpen": ParamSpec(0, 1, 1),
    "ParamEyeLSmile": ParamSpec(0, 1, 0),
    "ParamEyeRSmile": ParamSpec(0, 1, 0),
    "ParamEyeBallX": ParamSpec(-1, 1, 0),
    "ParamEyeBallY": ParamSpec(-1, 1, 0),
    "ParamBrowLY": ParamSpec(-1, 1, 0),
    "ParamBrowRY": ParamSpec(-1, 1, 0),
    "ParamMouthOpenY": ParamSpec(0, 1, 0),
    "ParamMouthForm": ParamSpec(-1, 1, 0),      # -1 round/sad .. +1 wide/smile
}


def default_pose(extra: dict[str, ParamSpec] | None = None) -> dict[str, float]:
    specs = {**STANDARD, **(extra or {})}
    return {name: spec.default for name, spec in specs.items()}
