"""The avatar's living state: blinks, breath, gaze, mouth, stepped by a fixed dt.

Pure: time and the current viseme come in as arguments, the random source is
seeded, and `step()` returns an immutable `AvatarPose` the renderer only reads.
Update order after Live2D's: blink -> expression of the mode -> gaze -> breath -> lip sync.
"""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass

# Live2D's eye-blink timing: interval uniform in [0, 7) s (mean 3.5), then close, hold, open.
BLINK_MAX_INTERVAL_S = 7.0
BLINK_CLOSE_S, BLINK_CLOSED_S, BLINK_OPEN_S = 0.10, 0.05, 0.15
BREATH_PERIOD_S = 3.6
MOUTH_SMOOTHING_S = 0.025   # time constant of the mouth approaching its viseme's shape
FIXED_DT = 1.0 / 60.0

# (open 0..1, form -1 round .. +1 wide) per viseme
MOUTH_SHAPES: dict[str, tuple[float, float]] = {
    "sil": (0.0, 0.0), "PP": (0.0, -0.1), "FF": (0.12, 0.2), "TH": (0.2, 0.2),
    "DD": (0.3, 0.3), "kk": (0.35, 0.2), "CH": (0.3, -0.4), "SS": (0.15, 0.6),
    "nn": (0.25, 0.3), "RR": (0.3, -0.5), "aa": (1.0, 0.2), "E": (0.6, 0.6),
    "ih": (0.45, 0.8), "oh": (0.75, -0.6), "ou": (0.4, -1.0),
}


class AvatarMode(enum.Enum):
    IDLE = "idle"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"


@dataclass(frozen=True)
class AvatarPose:
    t: float
    mode: AvatarMode
    viseme: str
    mouth_open: float
    mouth_form: float
    eye_open: float
    breath: float      # -1..1
    head_x: float      # -1..1 turn
    head_y: float      # -1..1 nod
    head_tilt: float   # -1..1 roll
    gaze_x: float
    gaze_y: float


class Animator:
    def __init__(self, seed: int = 0):
        self._rng = random.Random(seed)
        self.t = 0.0
        self._next_blink = self._rng.uniform(0.5, BLINK_MAX_INTERVAL_S)
        self._blink_start: float | None = None
        self._mouth_open = 0.0
        self._mouth_form = 0.0
        self._gaze = (0.0, 0.0)
        self._next_saccade = self._rng.uniform(0.8, 2.5)
        self._tilt = 0.0
        self.mode = AvatarMode.IDLE
        self.viseme = "sil"
        self.visitor_x: float | None = None  # -1..1 when a sensor knows where the visitor is

    def step(self, dt: float, viseme: str, mode: AvatarMode) -> AvatarPose:
        self.t += dt
        self.mode, self.viseme = mode, viseme
        eye_open = self._blink()
        self._update_gaze()
        target_tilt = {AvatarMode.LISTENING: 0.35, AvatarMode.THINKING: -0.25}.get(mode, 0.0)
        self._tilt += (target_tilt - self._tilt) * min(1.0, dt / 0.3)
        breath = math.sin(2 * math.pi * self.t / BREATH_PERIOD_S)
        target_open, target_form = MOUTH_SHAPES.get(viseme, (0.5, 0.0))
        k = 1.0 - math.exp(-dt / MOUTH_SMOOTHING_S)
        self._mouth_open += (target_open - self._mouth_open) * k
        self._mouth_form += (target_form - self._mouth_form) * k
        sway = 0.08 * math.sin(2 * math.pi * self.t / 7.3)
        nod = 0.05 * math.sin(2 * math.pi * self.t / 2.1) if mode is AvatarMode.SPEAKING else 0.0
        return AvatarPose(self.t, mode, viseme, self._mouth_open, self._mouth_form, eye_open,
                          breath, sway + 0.3 * self._gaze[0], nod + 0.02 * breath, self._tilt,
                          self._gaze[0], self._gaze[1])

    def _blink(self) -> float:
        if self._blink_start is None and self.t >= self._next_blink:
            self._blink_start = self.t
        if self._blink_start is None:
            return 1.0
        phase = self.t - self._blink_start
        if phase < BLINK_CLOSE_S:
            return 1.0 - phase / BLINK_CLOSE_S
        if phase < BLINK_CLOSE_S + BLINK_CLOSED_S:
            return 0.0
        if phase < BLINK_CLOSE_S + BLINK_CLOSED_S + BLINK_OPEN_S:
            return (phase - BLINK_CLOSE_S - BLINK_CLOSED_S) / BLINK_OPEN_S
        self._blink_start = None
        # People blink more while talking.
        scale = 0.6 if self.mode is AvatarMode.SPEAKING else 1.0
        self._next_blink = self.t + scale * self._rng.uniform(0.0, BLINK_MAX_INTERVAL_S)
        return 1.0

    def _update_gaze(self) -> None:
        if self.t < self._next_saccade:
            return
        self._next_saccade = self.t + self._rng.uniform(0.6, 2.8)
        centre = self.visitor_x if self.visitor_x is not None else 0.0
        # Mostly on the visitor (~75 %), sometimes a glance away.
        if self._rng.random() < 0.75:
            self._gaze = (centre + self._rng.uniform(-0.08, 0.08), self._rng.uniform(-0.05, 0.05))
        else:
            self._gaze = (self._rng.uniform(-0.6, 0.6), self._rng.uniform(-0.3, 0.2))


class FixedStepClock:
    """Accumulator for fixed-timestep updates: how many steps to run to reach `t`."""

    def __init__(self, dt: float = FIXED_DT):
        self.dt = dt
        self.t = 0.0

    def steps_to(self, t: float) -> int:
        n = int((t - self.t) / self.dt + 1e-9)
        if n <= 0:
            return 0
        self.t += n * self.dt
        return n
