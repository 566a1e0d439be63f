"""The avatar rig: layered parts that respond to parameters, plus expressions, motions, physics.

Plain frozen data, loaded and validated by `rig_loader.load_rig`. Geometry is in
the rig's own canvas pixels; a renderer scales it to the panel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .params import ParamSpec

BLEND_MODES = ("add", "multiply", "overwrite")


@dataclass(frozen=True)
class Affine:
    """A part's change at one parameter value; keyforms of several parameters combine
    (offsets and rotations add, scales and opacity multiply)."""
    x: float = 0.0
    y: float = 0.0
    rotate: float = 0.0      # degrees, clockwise, around the part's pivot
    scale_x: float = 1.0
    scale_y: float = 1.0
    opacity: float = 1.0

    def combine(self, other: "Affine") -> "Affine":
        return Affine(self.x + other.x, self.y + other.y, self.rotate + other.rotate,
                      self.scale_x * other.scale_x, self.scale_y * other.scale_y, self.opacity * other.opacity)

    def lerp(self, other: "Affine", k: float) -> "Affine":
        def mix(a: float, b: float) -> float:
            return a + (b - a) * k
        return Affine(mix(self.x, other.x), mix(self.y, other.y), mix(self.rotate, other.rotate),
                      mix(self.scale_x, other.scale_x), mix(self.scale_y, other.scale_y),
                      mix(self.opacity, other.opacity))


IDENTITY = Affine()


@dataclass(frozen=True)
class Keyforms:
    """Affine keys of one parameter, sorted by value; linear between keys, held beyond the ends."""
    keys: tuple[tuple[float, Affine], ...]

    def at(self, value: float) -> Affine:
        keys = self.keys
        if value <= keys[0][0]:
            return keys[0][1]
        for (v0, a0), (v1, a1) in zip(keys, keys[1:]):
            if value <= v1:
                return a0.lerp(a1, (value - v0) / (v1 - v0))
        return keys[-1][1]


@dataclass(frozen=True)
class Part:
    id: str
    order: int                  # draw order: lower first
    z: float                    # depth: + towards the viewer (3D panels shift layers by it)
    pivot: tuple[float, float]  # canvas pixels
    image: str | None = None    # file in the pack (None for a mouth with visemes, or a group)
    at: tuple[float, float] = (0.0, 0.0)   # canvas pixels of the image's top-left corner
    mouths: dict[str, str] = field(default_factory=dict)   # shape -> file, for the mouth part
    parent: str | None = None
    keyforms: dict[str, Keyforms] = field(default_factory=dict)

    def affine(self, pose: dict[str, float]) -> Affine:
        result = IDENTITY
        for param, keyforms in self.keyforms.items():
            result = result.combine(keyforms.at(pose.get(param, 0.0)))
        return result


@dataclass(frozen=True)
class Expression:
    name: str
    fade_in: float
    fade_out: float
    params: dict[str, tuple[float, str]]   # param -> (value, blend mode)


@dataclass(frozen=True)
class Motion:
    name: str
    duration: float
    loop: bool
    curves: dict[str, tuple[tuple[float, float], ...]]   # param -> ((t, offset), ...)

    def offsets(self, t: float) -> dict[str, float]:
        if self.loop and self.duration > 0:
            t = t % self.duration
        out = {}
        for param, points in self.curves.items():
            if t <= points[0][0]:
                out[param] = points[0][1]
                continue
            value = points[-1][1]
            for (t0, v0), (t1, v1) in zip(points, points[1:]):
                if t <= t1:
                    value = v0 + (v1 - v0) * (t - t0) / (t1 - t0) if t1 > t0 else v1
                    break
            out[param] = value
        return out


@dataclass(frozen=True)
class Pendulum:
    """Simple pendulum physics: hair or an earring swinging as the head moves."""
    id: str
    inputs: dict[str, float]    # param -> how far (canvas px) one unit moves the pendulum's anchor
    output: str                 # param that receives the swing angle (degrees)
    length: float               # metres (sets the period: 2*pi*sqrt(L/g))
    damping: float              # 1/s


@dataclass(frozen=True)
class Rig:
    name: str
    folder: str
    canvas: tuple[int, int]
    params: dict[str, ParamSpec]
    parts: tuple[Part, ...]     # sorted by draw order
    expressions: dict[str, Expression]
    motions: dict[str, Motion]
    physics: tuple[Pendulum, ...]
    mouth_interior: tuple[int, int, int] | None = None   # RGB of the open mouth's inside (a render probe)

    @property
    def mouth(self) -> Part | None:
        return next((p for p in self.parts if p.mouths), None)

    def part(self, part_id: str) -> Part:
        return next(p for p in self.parts if p.id == part_id)
