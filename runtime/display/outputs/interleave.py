"""Sub-pixel view maps for slanted lenticular panels (pure numpy, computed once per panel).

The published working form (Looking Glass / lenticular calibration):
    tilt   = -H / (W * slope)
    pitch' = pitch * W / DPI * cos(atan(1 / slope))
    subp   = pitch' / (3 * W)
and each pixel's R, G, B take the view chosen by fract((x + y * tilt) * pitch' - center)
plus 0, 1, 2 subp, with x, y the pixel centre in 0..1 (y from the bottom, as in the shader),
the fraction times N views, reversed when `flip`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LenticularCalibration:
    views: int
    pitch: float
    slope: float
    center: float
    dpi: float
    flip: bool = False

    @classmethod
    def from_dict(cls, values: dict, views: int | None = None) -> "LenticularCalibration":
        return cls(int(views or values.get("views", 8)), float(values["pitch"]), float(values["slope"]),
                   float(values.get("center", 0.0)), float(values["dpi"]), bool(values.get("flip", False)))


def view_map(cal: LenticularCalibration, width: int, height: int) -> np.ndarray:
    """View index (uint8) of every sub-pixel, shape (width, height, 3) like pygame's surfarray."""
    tilt = -height / (width * cal.slope)
    pitch = cal.pitch * width / cal.dpi * math.cos(math.atan(1.0 / cal.slope))
    subp = pitch / (3 * width)
    x = (np.arange(width, dtype=np.float64) + 0.5) / width
    y = 1.0 - (np.arange(height, dtype=np.float64) + 0.5) / height
    base = (x[:, None] + y[None, :] * tilt) * pitch - cal.center
    phase = base[:, :, None] + np.arange(3)[None, None, :] * subp
    frac = phase - np.floor(phase)
    index = np.minimum((frac * cal.views).astype(np.int64), cal.views - 1)
    if cal.flip:
        index = cal.views - 1 - index
    return index.astype(np.uint8)


def load_visual_json(path) -> dict:
    """A Looking Glass calibration file (visual.json: {"pitch": {"value": …}, "slope": …, "center": …,
    "DPI": …, "flipImageX": …}) as plain calibration values."""
    import json
    from pathlib import Path
    data = json.loads(Path(path).read_text(encoding="utf-8"))

    def value(key: str, default=None):
        item = data.get(key, default)
        return item.get("value", default) if isinstance(item, dict) else item
    return {"pitch": float(value("pitch")), "slope": float(value("slope")), "center": float(value("center", 0.0)),
            "dpi": float(value("DPI")), "flip": bool(value("flipImageX", 0))}


def sample_maps(view_size: tuple[int, int], size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """For each panel pixel, the pixel of a (smaller) view it samples: nearest, by position."""
    vw, vh = view_size
    width, height = size
    sx = np.minimum((np.arange(width) + 0.5) * vw / width, vw - 1).astype(np.intp)
    sy = np.minimum((np.arange(height) + 0.5) * vh / height, vh - 1).astype(np.intp)
    return sx, sy
