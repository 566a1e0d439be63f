"""The living avatar, stepped by dt: motion -> blink -> expression -> gaze -> breath -> physics -> lip sync.

Pure and deterministic under a seed: no clock is read; `step(dt, inputs)` returns
the parameter values of the rig for that moment and the mouth shapes to show.
The order is Live2D's update order, so a motion's head turn is what the gaze
corrects and what the physics swings from.
"""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass, field

from .mouth_shapes import OPENNESS, VISEMES
from .params import default_pose
from .rig import Rig

# Live2D's eye-blink timing: interval uniform in [0, 7) s, then close 0.1 s, hold 0.05 s, open 0.15 s.
BLINK_MAX_INTERVAL_S = 7.0
BLINK_CLOSE_S, BLINK_CLOSED_S, BLINK_OPEN_S = 0.10, 0.05, 0.15
TALKING_BLINK_SCALE = 0.6       # people blink more while talking
GAZE_SHIFT_BLINK_CHANCE = 0.3   # a large gaze shift often comes with a blink
BREATH_PERIOD_S = 3.6
COARTICULATION_S = 0.035        # time constant of each mouth shape's weight (no snapping)
GRAVITY = 9.81
CANVAS_PX_PER_M = 2000.0        # how the rig's pixels map to the pendulums' metres (1080 px ~ a 0.54 m wide view)


class AvatarMode(enum.Enum):
    IDLE = "idle"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"


@dataclass(frozen=True)
class Inputs:
    """What the world tells the avatar at this step."""
    mode: AvatarMode = AvatarMode.IDLE
    viseme: str = "sil"
    visitor_x: float | None = None   # -1..1 across the panel when a sensor knows
    loudness: float | None = None    # 0..1 when only audio is known (no phoneme timing)


@dataclass(frozen=True)
class RigPose:
    t: float
    mode: AvatarMode
    viseme: str
    params: dict[str, float]
    mouth: tuple[tuple[str, float], ...]   # viseme weights, strongest first (sum 1)


@dataclass
class _Playing:
    name: str
    started: float


@dataclass
class _Pendulum:
    angle: float = 0.0     # radians
    speed: float = 0.0
    anchor: float = 0.0
    anchor_speed: float = 0.0


@dataclass
class _ExpressionWeight:
    weight: float = 0.0
    target: float = 0.0


@dataclass
class RigAnimator:
    rig: Rig
    seed: int = 0
    t: float = 0.0
    blinks: bool = True     # False: eyes stay open (contact sheets, golden images)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._next_blink = self._rng.uniform(0.5, BLINK_MAX_INTERVAL_S)
        self._blink_start: float | None = None
        self._gaze = (0.0, 0.0)
        self._next_saccade = self._rng.uniform(0.8, 2.5)
        self._motions: list[_Playing] = []
        self._expressions = {name: _ExpressionWeight() for name in self.rig.expressions}
        self._mouth = {v: (1.0 if v == "sil" else 0.0) for v in VISEMES}
        self._pendulums = [_Pendulum() for _ in self.rig.physics]
        self._tilt = 0.0
        self._base = default_pose({k: v for k, v in self.rig.params.items()})

    # -- cues from the dialogue
    def play(self, motion: str) -> None:
        if motion in self.rig.motions:
            self._motions = [m for m in self._motions if m.name != motion] + [_Playing(motion, self.t)]

    def express(self, expression: str) -> None:
        """Fade to `expression` (the others fade out); unknown names are ignored by design: a pack
        may lack an optional expression, and the content check reports it."""
        if expression not in self._expressions:
            return
        for name, state in self._expressions.items():
            state.target = 1.0 if name == expression else 0.0

    # -- the step
    def step(self, dt: float, inputs: Inputs) -> RigPose:
        self.t += dt
        pose = dict(self._base)
        self._motion(pose)
        self._blink(pose, inputs.mode)
        self._expression(pose, dt)
        self._gaze_and_head(pose, dt, inputs)
        pose["ParamBreath"] = 0.5 + 0.5 * math.sin(2 * math.pi * self.t / BREATH_PERIOD_S)
        self._physics(pose, dt)
        mouth = self._lip_sync(pose, dt, inputs)
        for name, spec in self.rig.params.items():
            pose[name] = spec.clamp(pose.get(name, spec.default))
        return RigPose(self.t, inputs.mode, inputs.viseme, pose, mouth)

    def _motion(self, pose: dict[str, float]) -> None:
        idle = self.rig.motions.get("idle")
        if idle is not None:                       # the idle sway always plays underneath
            for param, offset in idle.offsets(self.t).items():
                pose[param] = pose.get(param, 0.0) + offset
        alive = []
        for playing in self._motions:
            motion = self.rig.motions[playing.name]
            local = self.t - playing.started
            if not motion.loop and local > motion.duration:
                continue
            for param, offset in motion.offsets(local).items():
                pose[param] = pose.get(param, 0.0) + offset
            alive.append(playing)
        self._motions = alive

    def _blink(self, pose: dict[str, float], mode: AvatarMode) -> None:
        if self.blinks and self._blink_start is None and self.t >= self._next_blink:
            self._blink_start = self.t
        eye = 1.0
        if self._blink_start is not None:
            phase = self.t - self._blink_start
            if phase < BLINK_CLOSE_S:
                eye = 1.0 - phase / BLINK_CLOSE_S
            elif phase < BLINK_CLOSE_S + BLINK_CLOSED_S:
                eye = 0.0
            elif phase < BLINK_CLOSE_S + BLINK_CLOSED_S + BLINK_OPEN_S:
                eye = (phase - BLINK_CLOSE_S - BLINK_CLOSED_S) / BLINK_OPEN_S
            else:
                self._blink_start = None
                scale = TALKING_BLINK_SCALE if mode is AvatarMode.SPEAKING else 1.0
                self._next_blink = self.t + scale * self._rng.uniform(0.0, BLINK_MAX_INTERVAL_S)
        pose["ParamEyeLOpen"] = pose.get("ParamEyeLOpen", 1.0) * eye
        pose["ParamEyeROpen"] = pose.get("ParamEyeROpen", 1.0) * eye

    def _expression(self, pose: dict[str, float], dt: float) -> None:
        for name, state in self._expressions.items():
            expr = self.rig.expressions[name]
            fade = expr.fade_in if state.target > state.weight else expr.fade_out
            step = dt / fade if fade > 0 else 1.0
            state.weight += max(-step, min(step, state.target - state.weight))
            if state.weight <= 0:
                continue
            for param, (value, mode) in expr.params.items():
                current = pose.get(param, 0.0)
                if mode == "add":
                    pose[param] = current + value * state.weight
                elif mode == "multiply":
                    pose[param] = current * (1.0 + (value - 1.0) * state.weight)
                else:
                    pose[param] = current + (value - current) * state.weight

    def _gaze_and_head(self, pose: dict[str, float], dt: float, inputs: Inputs) -> None:
        if self.t >= self._next_saccade:
            self._next_saccade = self.t + self._rng.uniform(0.6, 2.8)
            centre = inputs.visitor_x if inputs.visitor_x is not None else 0.0
            before = self._gaze
            if inputs.mode is AvatarMode.THINKING and self._rng.random() < 0.7:
                self._gaze = (self._rng.uniform(0.35, 0.6), self._rng.uniform(0.3, 0.5))   # look up, aside
            elif self._rng.random() < 0.75:      # mostly on the visitor, sometimes a glance away
                self._gaze = (centre + self._rng.uniform(-0.08, 0.08), self._rng.uniform(-0.05, 0.05))
            else:
                self._gaze = (self._rng.uniform(-0.6, 0.6), self._rng.uniform(-0.3, 0.2))
            shift = math.hypot(self._gaze[0] - before[0], self._gaze[1] - before[1])
            if shift > 0.4 and self._blink_start is None and self._rng.random() < GAZE_SHIFT_BLINK_CHANCE:
                self._blink_start = self.t
        pose["ParamEyeBallX"] = pose.get("ParamEyeBallX", 0.0) + self._gaze[0]
        pose["ParamEyeBallY"] = pose.get("ParamEyeBallY", 0.0) + self._gaze[1]
        target_tilt = {AvatarMode.LISTENING: 6.0, AvatarMode.THINKING: -4.0}.get(inputs.mode, 0.0)  # attentive tilt
        self._tilt += (target_tilt - self._tilt) * min(1.0, dt / 0.3)
        pose["ParamAngleZ"] = pose.get("ParamAngleZ", 0.0) + self._tilt
        pose["ParamAngleX"] = pose.get("ParamAngleX", 0.0) + 9.0 * self._gaze[0]   # the head follows the eyes
        pose["ParamAngleY"] = pose.get("ParamAngleY", 0.0) + 6.0 * self._gaze[1]
        if inputs.mode is AvatarMode.THINKING:
            pose["ParamBrowLY"] = pose.get("ParamBrowLY", 0.0) + 0.3
            pose["ParamBrowRY"] = pose.get("ParamBrowRY", 0.0) + 0.3

    def _physics(self, pose: dict[str, float], dt: float) -> None:
        for rule, state in zip(self.rig.physics, self._pendulums):
            anchor = sum(pose.get(p, 0.0) * k for p, k in rule.inputs.items()) / CANVAS_PX_PER_M
            speed = (anchor - state.anchor) / dt if dt > 0 else 0.0
            accel = (speed - state.anchor_speed) / dt if dt > 0 else 0.0
            state.anchor, state.anchor_speed = anchor, speed
            # An anchored pendulum: gravity restores, the anchor's acceleration drives, damping settles.
            ang_acc = (-GRAVITY / rule.length * math.sin(state.angle) - accel / rule.length * math.cos(state.angle)
                       - rule.damping * state.speed)
            state.speed += ang_acc * dt
            state.angle += state.speed * dt
            state.angle = max(-1.2, min(1.2, state.angle))
            pose[rule.output] = math.degrees(state.angle)

    def _lip_sync(self, pose: dict[str, float], dt: float, inputs: Inputs) -> tuple[tuple[str, float], ...]:
        target = inputs.viseme if inputs.viseme in self._mouth else "sil"
        if inputs.loudness is not None and inputs.viseme == "sil":
            target = "aa" if inputs.loudness > 0.6 else "E" if inputs.loudness > 0.3 else \
                     "DD" if inputs.loudness > 0.08 else "sil"
        k = 1.0 - math.exp(-dt / COARTICULATION_S)
        for v in self._mouth:
            self._mouth[v] += ((1.0 if v == target else 0.0) - self._mouth[v]) * k
        total = sum(self._mouth.values()) or 1.0
        ranked = sorted(((v, w / total) for v, w in self._mouth.items() if w > 0.01), key=lambda e: -e[1])
        opening = sum(OPENNESS[v][0] * w for v, w in ranked)
        form = sum(OPENNESS[v][1] * w for v, w in ranked)
        pose["ParamMouthOpenY"] = pose.get("ParamMouthOpenY", 0.0) + opening
        pose["ParamMouthForm"] = pose.get("ParamMouthForm", 0.0) + form
        return tuple(ranked[:2])
