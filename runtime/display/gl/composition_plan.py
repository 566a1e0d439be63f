"""What a panel output does with its views, as data a shader can execute (pure: no GL, no drawing).

Every format's composition is a list of placements — one view copied into a rectangle of the
panel image through an integer transform (identity, mirror, flip, quarter turns: a signed
permutation of the axes, so a pixel maps to exactly one pixel and the GL image can equal the
numpy one) — or, for the lenticular and native Looking Glass formats, one interleave: each
sub-pixel takes its view from the same precomputed index map the numpy path gathers with,
sampled at the same view pixel. Plus an optional 256-entry tone curve (Pepper's ghost gamma and
gain) and an optional mask (the LED fan's circle: masked pixels are black).

`plan_for(output)` reads the geometry of a numpy `PanelOutput` (the reference) so the two paths
cannot disagree on sizes, tile order or calibration; `dirty_areas` maps the views' changed
rectangles to the panel rectangles that must be recomposed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygame

from runtime.display.outputs.interleave import sample_maps
from runtime.display.outputs.panel_outputs import (DepthOutput, FlatOutput, LedFanOutput, LenticularOutput,
                                                   PeppersGhostOutput, QuiltOutput, StereoOutput)
from runtime.display.renderer.rig_renderer import merge_rects
from runtime.shared.errors import DisplayError

# 3x3 integer affine maps from a destination pixel (u, v, 1) to the source pixel (x, y, 1).
Affine = tuple[tuple[int, int, int], tuple[int, int, int]]


def _m(rows) -> np.ndarray:
    return np.array(list(rows) + [(0, 0, 1)], dtype=np.int64)


def identity() -> np.ndarray:
    return _m([(1, 0, 0), (0, 1, 0)])


def mirror_x(w: int) -> np.ndarray:
    """pygame.transform.flip(s, True, False): out (u, v) <- (w-1-u, v)."""
    return _m([(-1, 0, w - 1), (0, 1, 0)])


def flip_y(h: int) -> np.ndarray:
    """pygame.transform.flip(s, False, True): out (u, v) <- (u, h-1-v)."""
    return _m([(1, 0, 0), (0, -1, h - 1)])


def rotate(angle: int, w: int, h: int) -> np.ndarray:
    """pygame.transform.rotate(s, angle) for a quarter turn (counter-clockwise), s of size w x h."""
    angle %= 360
    if angle == 0:
        return identity()
    if angle == 90:
        return _m([(0, -1, w - 1), (1, 0, 0)])
    if angle == 180:
        return _m([(-1, 0, w - 1), (0, -1, h - 1)])
    if angle == 270:
        return _m([(0, 1, 0), (-1, 0, h - 1)])
    raise DisplayError(f"rotation {angle}: expected a multiple of 90 degrees")


def chain(*maps: np.ndarray) -> np.ndarray:
    """The map of applying image operations in order (first op's map first): out <- ... <- source."""
    total = identity()
    for m in maps:          # source <- first op <- ... <- last op <- destination
        total = total @ m
    return total


@dataclass(frozen=True)
class Placement:
    view: int
    origin: tuple[int, int]            # the top-left of the (unclipped) copy in the panel image
    rect: tuple[int, int, int, int]    # x, y, w, h drawn (the copy clipped to the panel)
    transform: Affine                  # panel pixel minus origin -> view pixel


@dataclass(frozen=True)
class Interleave:
    view_map: np.ndarray               # (W, H, 3) uint8: the view of each sub-pixel
    sample_x: np.ndarray | None        # (W,) view column of each panel column; None: the same pixel
    sample_y: np.ndarray | None        # (H,)


@dataclass(frozen=True)
class CompositionPlan:
    format: str
    size: tuple[int, int]
    view_size: tuple[int, int]
    views: int
    placements: tuple[Placement, ...] = ()
    interleave: Interleave | None = None
    tone: np.ndarray | None = None     # (256,) uint8, applied to every channel of a placed view
    mask: np.ndarray | None = None     # (W, H) bool: True = black

    def dirty_areas(self, view_dirty: list[list[pygame.Rect]] | None) -> list[pygame.Rect]:
        """Panel rectangles to recompose when each view changed only in its rectangles (None: all)."""
        whole = pygame.Rect(0, 0, *self.size)
        if view_dirty is None:
            return [whole]
        vw, vh = self.view_size
        view_rect = pygame.Rect(0, 0, vw, vh)
        if self.interleave is not None:
            rects = [r.clip(view_rect) for rs in view_dirty for r in rs]
            rects = merge_rects([r for r in rects if r.width and r.height])
            if self.interleave.sample_x is None:
                return rects
            pw, ph = self.size      # a view rectangle scaled up to the panel, as the numpy path does
            return [pygame.Rect(r.left * pw // vw, r.top * ph // vh,
                                min(pw, -(-r.right * pw // vw)) - r.left * pw // vw,
                                min(ph, -(-r.bottom * ph // vh)) - r.top * ph // vh) for r in rects]
        out: list[pygame.Rect] = []
        for p in self.placements:
            inverse = np.linalg.inv(np.array(list(p.transform) + [(0, 0, 1)], dtype=np.float64))
            for r in view_dirty[p.view]:
                r = r.clip(view_rect)
                if not (r.width and r.height):
                    continue
                corners = np.array([[r.left, r.top, 1], [r.right - 1, r.bottom - 1, 1]], dtype=np.float64).T
                u, v = np.rint(inverse @ corners)[:2]
                box = pygame.Rect(int(u.min()) + p.origin[0], int(v.min()) + p.origin[1],
                                  int(u.max() - u.min()) + 1, int(v.max() - v.min()) + 1)
                box = box.clip(pygame.Rect(p.rect))
                if box.width and box.height:
                    out.append(box)
        return merge_rects(out)


def _affine(m: np.ndarray) -> Affine:
    return (tuple(int(v) for v in m[0]), tuple(int(v) for v in m[1]))   # type: ignore[return-value]


def _place(view: int, origin: tuple[int, int], size: tuple[int, int], panel: tuple[int, int],
           m: np.ndarray) -> Placement:
    rect = pygame.Rect(origin, size).clip(pygame.Rect(0, 0, *panel))
    return Placement(view, origin, (rect.x, rect.y, rect.w, rect.h), _affine(m))


def plan_for(output) -> CompositionPlan:
    """The composition of a numpy PanelOutput, read from its geometry and calibration."""
    size, vs, n = tuple(output.size), tuple(output.view_size), output.views
    vw, vh = vs
    if isinstance(output, FlatOutput):
        m = rotate(-output.rotation, vw, vh)
        return CompositionPlan("flat", size, vs, n, (_place(0, (0, 0), size, size, m),))
    if isinstance(output, PeppersGhostOutput):
        tone = output.lut
        view = mirror_x(vw) if output.mirror else identity()
        if not output.pyramid:
            return CompositionPlan(output.name, size, vs, n, (_place(0, (0, 0), size, size, view),), tone=tone)
        cx, cy, gap = size[0] // 2, size[1] // 2, output.gap
        placements = []
        for angle, (px, py) in ((0, (cx, cy + gap + vh // 2)), (90, (cx + gap + vh // 2, cy)),
                                (180, (cx, cy - gap - vh // 2)), (270, (cx - gap - vh // 2, cy))):
            tw, th = (vw, vh) if angle in (0, 180) else (vh, vw)
            m = chain(view, flip_y(vh), rotate(angle, vw, vh))
            placements.append(_place(0, (px - tw // 2, py - th // 2), (tw, th), size, m))
        return CompositionPlan(output.name, size, vs, n, tuple(placements), tone=tone)
    if isinstance(output, LedFanOutput):
        alpha = pygame.surfarray.array_alpha(output.mask)
        return CompositionPlan("led-fan", size, vs, n, (_place(0, (0, 0), size, size, identity()),),
                               mask=alpha > 0)
    if isinstance(output, StereoOutput):
        second = (vw, 0) if output.layout == "sbs" else (0, vh)
        return CompositionPlan(output.name, size, vs, n, (_place(0, (0, 0), vs, size, identity()),
                                                          _place(1, second, vs, size, identity())))
    if isinstance(output, DepthOutput):
        return CompositionPlan("depth", size, vs, n, (_place(0, (0, 0), vs, size, identity()),
                                                      _place(1, (vw, 0), vs, size, identity())))
    if isinstance(output, LenticularOutput):
        return CompositionPlan("lenticular", size, vs, n, interleave=Interleave(output.map, None, None))
    if isinstance(output, QuiltOutput):
        if output.native:
            sx, sy = sample_maps(vs, size)
            return CompositionPlan("quilt-native", size, vs, n, interleave=Interleave(output.map, sx, sy))
        return CompositionPlan("quilt", size, vs, n, tuple(
            _place(k, output.tile_origin(k), vs, size, identity()) for k in range(n)))
    raise DisplayError(f"panel output {getattr(output, 'name', type(output).__name__)!r}: "
                       "no GL composition for this format")
