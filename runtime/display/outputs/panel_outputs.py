"""Every panel format behind one `PanelOutput`: the same avatar, right for each panel.

An output renders the views it needs from one rig pose (views differ only by an
off-axis shear: each layer moves by (k - (N-1)/2) * delta * (z - z_focal)), then
composes them into the panel's image. `compose(views)` is separate so a
calibration pattern can go through exactly the same composition
(`edge-avatar panel test`). Chosen by the panel profile's `format`.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pygame

from runtime.avatar.rig import Rig
from runtime.avatar.rig_animator import RigPose
from runtime.display.panel_profile import PanelProfile
from runtime.display.renderer.rig_renderer import RigRenderer, merge_rects

from .interleave import LenticularCalibration, load_visual_json, sample_maps, view_map

BLACK = (0, 0, 0)
Z_FOCAL = 0.3          # the face's depth sits on the panel's plane


class PanelOutput(Protocol):
    name: str
    size: tuple[int, int]      # the image sent to the panel
    view_size: tuple[int, int]
    views: int

    def render(self, pose: RigPose) -> pygame.Surface: ...

    def compose(self, views: list[pygame.Surface]) -> pygame.Surface: ...

    def draw_views(self, pose: RigPose) -> list[pygame.Surface]: ...

    @property
    def view_dirty(self) -> list[list[pygame.Rect]]: ...


def _black(width: int, height: int) -> pygame.Surface:
    s = pygame.Surface((width, height))
    s.fill(BLACK)
    return s


class _Views:
    """N canvases of one rig sharing its scaled images and bitmap cache; one layout per frame."""

    def __init__(self, rig: Rig, count: int, size: tuple[int, int], delta_px: float,
                 background: pygame.Surface | None = None, frame=None):
        first = RigRenderer(rig, *size, background=background, frame=frame)
        self.canvases = [first] + [RigRenderer(rig, *size, background=background, share=first, frame=frame)
                                   for _ in range(count - 1)]
        self.delta_px = delta_px
        self.count = count

    def draw(self, pose: RigPose) -> list[pygame.Surface]:
        placed = self.canvases[0].layout(pose)
        centre = (self.count - 1) / 2
        return [c.draw_layout(placed, shift_px=(k - centre) * self.delta_px, z_focal=Z_FOCAL)
                for k, c in enumerate(self.canvases)]

    @property
    def dirty(self) -> list[pygame.Rect]:
        return [r for c in self.canvases for r in c.dirty]


class _DrawsViews:
    """The views of an output drawn from one pose, and where each changed (for another compositor)."""
    _views: _Views

    def draw_views(self, pose: RigPose) -> list[pygame.Surface]:
        return self._views.draw(pose)

    @property
    def view_dirty(self) -> list[list[pygame.Rect]]:
        return [c.dirty for c in self._views.canvases]


class FlatOutput(_DrawsViews):
    """Any resolution and rotation (0/90/180/270, clockwise: how the panel is mounted)."""

    def __init__(self, rig: Rig, profile: PanelProfile):
        self.name, self.views = "flat", 1
        self.size = (profile.width, profile.height)
        self.rotation = profile.rotation
        self.view_size = self.size if self.rotation in (0, 180) else (profile.height, profile.width)
        self._views = _Views(rig, 1, self.view_size, 0.0)

    def render(self, pose: RigPose) -> pygame.Surface:
        return self.compose(self._views.draw(pose))

    def compose(self, views: list[pygame.Surface]) -> pygame.Surface:
        return views[0] if not self.rotation else pygame.transform.rotate(views[0], -self.rotation)

    @property
    def dirty(self) -> list[pygame.Rect] | None:
        return self._views.dirty if not self.rotation else None


class PeppersGhostOutput(_DrawsViews):
    """Mirrored (the glass reflects it), black background (black is clear on glass),
    optional brightness and gamma; `pyramid`: four copies around the centre, each turned to face
    its side of the pyramid, heads outward (the face reflects the screen's outer part highest)."""

    def __init__(self, rig: Rig, profile: PanelProfile, pyramid: bool = False):
        self.name, self.views, self.pyramid = ("pyramid" if pyramid else "peppers-ghost"), 1, pyramid
        self.size = (profile.width, profile.height)
        cal = profile.calibration
        self.gamma = float(cal.get("gamma", 1.0))
        self.gain = float(cal.get("brightness", 1.0))
        self.mirror = bool(cal.get("mirror", True))
        side = min(self.size)
        # Pyramid: square copies of a third of the screen, their inner edges half a copy from the
        # centre, so neighbours never overlap and the tip stays dark.
        self.view_size = (int(side * 0.3), int(side * 0.3)) if pyramid else self.size
        self.gap = int(side * 0.15)
        frame = (0.25, 0.16, 0.5, 0.5) if pyramid else None    # head and shoulders in each pyramid face
        self._views = _Views(rig, 1, self.view_size, 0.0, _black(*self.view_size), frame)
        self.lut = None
        if self.gamma != 1.0 or self.gain != 1.0:
            lut = (np.clip(self.gain * (np.arange(256) / 255.0) ** self.gamma, 0, 1) * 255).astype(np.uint8)
            self.lut = lut

    def render(self, pose: RigPose) -> pygame.Surface:
        return self.compose(self._views.draw(pose))

    def compose(self, views: list[pygame.Surface]) -> pygame.Surface:
        view = pygame.transform.flip(views[0], True, False) if self.mirror else views[0].copy()
        if self.lut is not None:
            pixels = pygame.surfarray.pixels3d(view)
            pixels[...] = self.lut[pixels]
            del pixels
        if not self.pyramid:
            return view
        out = _black(*self.size)
        cx, cy = self.size[0] // 2, self.size[1] // 2
        w, h = view.get_size()
        gap = self.gap
        # the bottom copy with its head at the outer edge, the others turned around the centre
        placements = ((0, (cx, cy + gap + h // 2)), (90, (cx + gap + h // 2, cy)),
                      (180, (cx, cy - gap - h // 2)), (270, (cx - gap - h // 2, cy)))
        upright = pygame.transform.flip(view, False, True)   # head at the outer edge when at the bottom
        for angle, centre in placements:
            tile = pygame.transform.rotate(upright, angle)
            out.blit(tile, tile.get_rect(center=centre))
        return out

    dirty = None


class LedFanOutput(_DrawsViews):
    """A square for a spinning LED fan: circular mask, black is transparent, subject centred."""

    def __init__(self, rig: Rig, profile: PanelProfile):
        self.name, self.views = "led-fan", 1
        side = min(profile.width, profile.height)
        self.size = self.view_size = (side, side)
        self._views = _Views(rig, 1, self.size, 0.0, _black(side, side), frame=(0.12, 0.17, 0.76, 0.43))
        self.mask = pygame.Surface(self.size, pygame.SRCALPHA)
        self.mask.fill((0, 0, 0, 255))
        pygame.draw.circle(self.mask, (0, 0, 0, 0), (side // 2, side // 2), side // 2)

    def render(self, pose: RigPose) -> pygame.Surface:
        return self.compose(self._views.draw(pose))

    def compose(self, views: list[pygame.Surface]) -> pygame.Surface:
        out = views[0]
        out.blit(self.mask, (0, 0))
        return out

    @property
    def dirty(self):
        return self._views.dirty


class StereoOutput(_DrawsViews):
    """Two views side by side or top-bottom; `half`: each squeezed into half the panel
    (the panel stretches it back), else frame-packed at twice the panel's size."""

    def __init__(self, rig: Rig, profile: PanelProfile):
        cal = profile.calibration
        self.layout = "tb" if profile.format == "stereo-tb" else "sbs"
        self.half = bool(cal.get("half", True))
        self.name, self.views = f"stereo-{self.layout}{'-half' if self.half else ''}", 2
        w, h = profile.width, profile.height
        if self.half:
            self.size = (w, h)
            self.view_size = (w // 2, h) if self.layout == "sbs" else (w, h // 2)
        else:
            self.size = (2 * w, h) if self.layout == "sbs" else (w, 2 * h)
            self.view_size = (w, h)
        self._views = _Views(rig, 2, self.view_size, float(cal.get("view_shift_px", -6.0)))

    def render(self, pose: RigPose) -> pygame.Surface:
        return self.compose(self._views.draw(pose))

    def compose(self, views: list[pygame.Surface]) -> pygame.Surface:
        out = pygame.Surface(self.size)
        vw, vh = self.view_size
        out.blit(views[0], (0, 0))
        out.blit(views[1], (vw, 0) if self.layout == "sbs" else (0, vh))
        return out

    dirty = None


class LenticularOutput(_DrawsViews):
    """N views interleaved per sub-pixel behind a slanted lenticular sheet, from calibration values.
    Only the regions where some view changed are re-interleaved (a numpy gather)."""

    def __init__(self, rig: Rig, profile: PanelProfile):
        cal = LenticularCalibration.from_dict(profile.calibration)
        self.name, self.views = "lenticular", cal.views
        self.size = self.view_size = (profile.width, profile.height)
        self.map = view_map(cal, *self.size)
        self._views = _Views(rig, cal.views, self.size, float(profile.calibration.get("view_shift_px", -1.0)))
        self.out = pygame.Surface(self.size)
        self._first = True
        self.dirty: list[pygame.Rect] | None = None

    def render(self, pose: RigPose) -> pygame.Surface:
        views = self._views.draw(pose)
        rects = None if self._first else self._views.dirty
        self._first = False
        return self._interleave(views, rects)

    def compose(self, views: list[pygame.Surface]) -> pygame.Surface:
        return self._interleave(views, None)

    def _interleave(self, views: list[pygame.Surface], rects: list[pygame.Rect] | None) -> pygame.Surface:
        arrays = [pygame.surfarray.pixels3d(v) for v in views]
        out = pygame.surfarray.pixels3d(self.out)
        areas = [pygame.Rect(0, 0, *self.size)] if rects is None else merge_rects(rects)
        for r in areas:
            r = r.clip(pygame.Rect(0, 0, *self.size))
            if r.width == 0 or r.height == 0:
                continue
            xs, ys = slice(r.left, r.right), slice(r.top, r.bottom)
            index = self.map[xs, ys]
            if len(arrays) <= 32:       # np.choose takes up to 32 sources and copies nothing first
                np.choose(index, [a[xs, ys] for a in arrays], out=out[xs, ys])
            else:
                stacked = np.stack([a[xs, ys] for a in arrays])
                out[xs, ys] = np.take_along_axis(stacked, index[None].astype(np.intp), axis=0)[0]
        del out, arrays
        self.dirty = areas
        return self.out


class QuiltOutput(_DrawsViews):
    """Looking Glass quilt: columns x rows tiles; tile 0 at the bottom-left is the leftmost view,
    the top-right tile the rightmost. Only the tiles' changed regions are copied. With
    `output: native` the quilt's views are interleaved for the panel itself, from its calibration
    (`calibration_file: visual.json` beside the profile, or pitch/slope/center/dpi inline)."""

    def __init__(self, rig: Rig, profile: PanelProfile):
        cal = dict(profile.calibration)
        self.cols, self.rows = int(cal["columns"]), int(cal["rows"])
        qw, qh = cal.get("quilt_size", [profile.width, profile.height])
        self.name, self.views = "quilt", self.cols * self.rows
        self.quilt_size = (int(qw), int(qh))
        self.native = cal.get("output") == "native"
        if self.native:
            if cal.get("calibration_file") and profile.path is not None:
                cal.update(load_visual_json(profile.path.parent / str(cal["calibration_file"])))
            self.name = "quilt-native"
            self.panel_size = (profile.width, profile.height)
            self.lens = LenticularCalibration.from_dict(cal, views=self.views)
            self.map = view_map(self.lens, *self.panel_size)
        self.size = self.panel_size if self.native else self.quilt_size
        self.view_size = (self.quilt_size[0] // self.cols, self.quilt_size[1] // self.rows)
        self._views = _Views(rig, self.views, self.view_size, float(cal.get("view_shift_px", -0.6)))
        self.out = pygame.Surface(self.quilt_size)
        self._first = True
        if self.native:
            self.panel = pygame.Surface(self.panel_size)
            sx, sy = sample_maps(self.view_size, self.panel_size)
            vw, vh = self.view_size
            # One flat index per panel sub-pixel into the stacked views (N, w, h, 3): a single gather.
            self._flat = (((self.map.astype(np.int64) * vw + sx[:, None, None]) * vh + sy[None, :, None]) * 3
                          + np.arange(3)[None, None, :]).astype(np.int32)
            self._stack = np.zeros((self.views, vw, vh, 3), dtype=np.uint8)

    def tile_origin(self, k: int) -> tuple[int, int]:
        tw, th = self.view_size
        return (k % self.cols) * tw, self.quilt_size[1] - (k // self.cols + 1) * th

    def render(self, pose: RigPose) -> pygame.Surface:
        views = self._views.draw(pose)
        if self._first:
            self._first = False
            return self.compose(views)
        changed: list[pygame.Rect] = []
        for k, (canvas, view) in enumerate(zip(self._views.canvases, views)):
            ox, oy = self.tile_origin(k)
            for r in canvas.dirty:
                self.out.blit(view, (ox + r.x, oy + r.y), r)
            changed += canvas.dirty
        return self._native(views, changed) if self.native else self.out

    def compose(self, views: list[pygame.Surface]) -> pygame.Surface:
        for k, view in enumerate(views):
            self.out.blit(view, self.tile_origin(k))
        return self._native(views, None) if self.native else self.out

    def _native(self, views: list[pygame.Surface], changed: list[pygame.Rect] | None) -> pygame.Surface:
        """Each panel sub-pixel from its view (lenticular formula), sampled at its position; only
        where some view changed (view rectangles scaled up to the panel)."""
        vw, vh = self.view_size
        whole = pygame.Rect(0, 0, vw, vh)
        areas = [whole] if changed is None else [r.clip(whole) for r in merge_rects(changed)]
        for k, view in enumerate(views):
            pixels = pygame.surfarray.pixels3d(view)
            for r in areas:
                self._stack[k, r.left:r.right, r.top:r.bottom] = pixels[r.left:r.right, r.top:r.bottom]
            del pixels
        flat = self._stack.reshape(-1)
        panel = pygame.surfarray.pixels3d(self.panel)
        pw, ph = self.panel_size
        for r in areas:
            x0, x1 = r.left * pw // vw, min(pw, -(-r.right * pw // vw))
            y0, y1 = r.top * ph // vh, min(ph, -(-r.bottom * ph // vh))
            if x1 > x0 and y1 > y0:
                panel[x0:x1, y0:y1] = flat[self._flat[x0:x1, y0:y1]]
        del panel
        return self.panel

    dirty = None


class DepthOutput:
    """2D-plus-depth: the colour picture on the left half, its depth map on the right
    (near = white, far = black), from the same layer depths."""

    def __init__(self, rig: Rig, profile: PanelProfile):
        self.name, self.views = "depth", 2
        self.size = (profile.width, profile.height)
        self.view_size = (profile.width // 2, profile.height)
        self.colour = RigRenderer(rig, *self.view_size)
        self.depth = RigRenderer(rig, *self.view_size, background=_black(*self.view_size), label=False,
                                 share=self.colour, depth=True)
        self.out = pygame.Surface(self.size)

    def render(self, pose: RigPose) -> pygame.Surface:
        return self.compose(self.draw_views(pose))

    def draw_views(self, pose: RigPose) -> list[pygame.Surface]:
        placed = self.colour.layout(pose)
        return [self.colour.draw_layout(placed), self.depth.draw_layout(placed)]

    @property
    def view_dirty(self) -> list[list[pygame.Rect]]:
        return [self.colour.dirty, self.depth.dirty]

    def compose(self, views: list[pygame.Surface]) -> pygame.Surface:
        self.out.blit(views[0], (0, 0))
        self.out.blit(views[1], (self.view_size[0], 0))
        return self.out

    dirty = None



def make_output(rig: Rig, profile: PanelProfile) -> PanelOutput:
    makers = {"flat": FlatOutput, "peppers-ghost": PeppersGhostOutput,
              "pyramid": lambda r, p: PeppersGhostOutput(r, p, pyramid=True), "led-fan": LedFanOutput,
              "stereo-sbs": StereoOutput, "stereo-tb": StereoOutput, "lenticular": LenticularOutput,
              "quilt": QuiltOutput, "depth": DepthOutput}
    return makers[profile.format](rig, profile)


__all__ = ["PanelOutput", "make_output", "FlatOutput", "PeppersGhostOutput", "LedFanOutput", "StereoOutput",
           "LenticularOutput", "QuiltOutput", "DepthOutput"]
