"""Draws an avatar rig's pose with pygame: read-only, cached, and only where something changed.

Each part's image is scaled to the panel once at load; per frame a part costs a
blit, plus a rotate/scale only when its (quantised) transform is new (an LRU
cache keeps recent ones). Between frames only the rectangles of parts that moved
or changed are restored from the background and redrawn (`dirty` lists them for
`pygame.display.update`), so a talking head at 1080x1920 touches a small part of
the screen. `layout()` is the pure geometry, also used by the multi-view outputs.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

import pygame

from runtime.avatar.mouth_shapes import shape_for
from runtime.avatar.rig import Affine, Part, Rig
from runtime.avatar.rig_animator import RigPose
from runtime.shared.errors import ContentError

from .ai_label import AiLabel

ROT_STEP, SCALE_STEP, ALPHA_STEPS = 0.5, 0.01, 32
CACHE_SIZE = 384


@dataclass(frozen=True)
class Placed:
    """One part as it appears in a frame: which bitmap, where, how opaque, how deep."""
    part: str
    image: str
    rotate: float
    scale_x: float
    scale_y: float
    alpha: int
    center: tuple[int, int]
    z: float

    @property
    def key(self) -> tuple:
        return (self.image, self.rotate, self.scale_x, self.scale_y)


def background_gradient(width: int, height: int, top=(26, 36, 58), bottom=(60, 78, 104)) -> pygame.Surface:
    bg = pygame.Surface((width, height))
    for y in range(height):
        k = y / max(1, height - 1)
        bg.fill(tuple(int(a + (b - a) * k) for a, b in zip(top, bottom)), (0, y, width, 1))
    return bg


class RigRenderer:
    def __init__(self, rig: Rig, width: int, height: int, background: pygame.Surface | None = None,
                 label: bool = True, share: "RigRenderer | None" = None,
                 frame: tuple[float, float, float, float] | None = None, depth: bool = False):
        """`share`: another renderer of the same rig at the same size whose scaled images and
        bitmap cache this one reuses (the views of a multi-view panel)."""
        pygame.display.init()
        if pygame.display.get_surface() is None:
            # Blits are fastest between surfaces in the display's pixel format; with no window
            # yet (headless, tests, benchmarks) a hidden 1x1 mode provides that format.
            pygame.display.set_mode((1, 1), pygame.HIDDEN)
        self.rig, self.width, self.height = rig, width, height
        cw, ch = rig.canvas
        fx, fy, fw, fh = (frame[0] * cw, frame[1] * ch, frame[2] * cw, frame[3] * ch) if frame else (0, 0, cw, ch)
        self.k = min(width / fw, height / fh)
        self.ox, self.oy = (width - fw * self.k) / 2 - fx * self.k, (height - fh * self.k) / 2 - fy * self.k
        self.depth = depth
        zs = [p.z for p in rig.parts] or [0.0]
        self._z_range = (min(zs), max(zs))
        self.surface = pygame.Surface((width, height)).convert()
        self.background = (background if background is not None else background_gradient(width, height)).convert()
        self._images = share._images if share is not None else self._load_images()
        self._parts = {p.id: p for p in rig.parts}
        self._cache: OrderedDict[tuple, pygame.Surface] = share._cache if share is not None else OrderedDict()
        self._last: dict[str, tuple[Placed, pygame.Rect]] = {}
        self.label = AiLabel(int(26 * height / 960)) if label else None
        self.label_box: pygame.Rect | None = None
        self.dirty: list[pygame.Rect] = []
        self.full_redraws = 0
        mouth = rig.mouth
        self._mouth_shapes = frozenset(mouth.mouths) if mouth else frozenset()

    # -- loading
    def _load_images(self) -> dict[str, pygame.Surface]:
        files = {p.image for p in self.rig.parts if p.image} | {f for p in self.rig.parts for f in p.mouths.values()}
        images = {}
        for name in sorted(files):
            path = Path(self.rig.folder) / name
            try:
                raw = pygame.image.load(str(path))
            except (pygame.error, FileNotFoundError) as err:
                raise ContentError(f"{path}: cannot load the image ({err})") from err
            raw = raw.convert_alpha()
            w, h = raw.get_size()
            size = (max(1, round(w * self.k)), max(1, round(h * self.k)))
            images[name] = raw if size == (w, h) else pygame.transform.smoothscale(raw, size)
        return images

    # -- geometry (pure given the rig and the pose)
    def layout(self, pose: RigPose) -> list[Placed]:
        affines = {p.id: p.affine(pose.params) for p in self.rig.parts}
        placed = []
        for part in self.rig.parts:
            image = self._image_of(part, pose)
            if image is None:
                continue
            for name, weight in image:
                w, h = self._images[name].get_size()
                centre = (part.at[0] + w / self.k / 2, part.at[1] + h / self.k / 2)
                (cx, cy), rot, sx, sy, alpha = self._world(part, centre, affines)
                a = int(round(alpha * weight * ALPHA_STEPS))
                if a <= 0:
                    continue
                placed.append(Placed(part.id, name, round(rot / ROT_STEP) * ROT_STEP,
                                     round(sx / SCALE_STEP) * SCALE_STEP, round(sy / SCALE_STEP) * SCALE_STEP,
                                     min(ALPHA_STEPS, a), (int(round(self.ox + cx * self.k)),
                                                           int(round(self.oy + cy * self.k))), part.z))
        return placed

    def _image_of(self, part: Part, pose: RigPose) -> list[tuple[str, float]] | None:
        if part.mouths:
            shapes: dict[str, float] = {}
            for viseme, weight in pose.mouth or (("sil", 1.0),):
                shape = shape_for(viseme, self._mouth_shapes)
                shapes[shape] = shapes.get(shape, 0.0) + weight
            ranked = sorted(shapes.items(), key=lambda e: -e[1])
            out = [(part.mouths[ranked[0][0]], 1.0)]
            if len(ranked) > 1 and ranked[1][1] > 0.15:    # coarticulation: the next shape fades in over it
                out.append((part.mouths[ranked[1][0]], ranked[1][1]))
            return out
        return [(part.image, 1.0)] if part.image else None

    def _world(self, part: Part, point: tuple[float, float], affines: dict[str, Affine]):
        x, y = point
        rot, sx, sy, alpha = 0.0, 1.0, 1.0, 1.0
        node: Part | None = part
        while node is not None:
            a = affines[node.id]
            px, py = node.pivot
            dx, dy = (x - px) * a.scale_x, (y - py) * a.scale_y
            r = math.radians(a.rotate)
            x = px + dx * math.cos(r) - dy * math.sin(r) + a.x
            y = py + dx * math.sin(r) + dy * math.cos(r) + a.y
            rot, sx, sy, alpha = rot + a.rotate, sx * a.scale_x, sy * a.scale_y, alpha * a.opacity
            node = self._parts.get(node.parent) if node.parent else None
        return (x, y), rot, sx, sy, max(0.0, min(1.0, alpha))

    # -- drawing
    def _bitmap(self, placed: Placed) -> pygame.Surface:
        key = placed.key
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        image = self._images[placed.image]
        if placed.scale_x != 1.0 or placed.scale_y != 1.0:
            w, h = image.get_size()
            image = pygame.transform.smoothscale(image, (max(1, round(w * placed.scale_x)),
                                                         max(1, round(h * placed.scale_y))))
        if placed.rotate:
            image = pygame.transform.rotozoom(image, -placed.rotate, 1.0)
        self._cache[key] = image
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return image

    def depth_grey(self, z: float) -> int:
        lo, hi = self._z_range
        return int(round(40 + 215 * (z - lo) / (hi - lo))) if hi > lo else 255

    def _silhouette(self, placed: Placed) -> pygame.Surface:
        grey = self.depth_grey(placed.z)
        key = ("depth", grey) + placed.key
        cached = self._cache.get(key)
        if cached is None:
            cached = self._bitmap(placed).copy()
            cached.fill((0, 0, 0, 255), special_flags=pygame.BLEND_RGBA_MULT)
            cached.fill((grey, grey, grey, 0), special_flags=pygame.BLEND_RGBA_ADD)
            self._cache[key] = cached
        return cached

    def _rect(self, placed: Placed, bitmap: pygame.Surface) -> pygame.Rect:
        return bitmap.get_rect(center=placed.center)

    def draw(self, pose: RigPose, full: bool = False) -> pygame.Surface:
        return self.draw_layout(self.layout(pose), full)

    def draw_layout(self, placed: list[Placed], full: bool = False, shift_px: float = 0.0,
                    z_focal: float = 0.0) -> pygame.Surface:
        """Draw a computed layout; `shift_px` moves each part by shift_px * (z - z_focal) pixels
        sideways (one view of a multi-view panel: an off-axis shear, not a toe-in)."""
        current = {}
        for p in placed:
            bitmap = self._bitmap(p) if not self.depth else self._silhouette(p)
            if shift_px:
                p = replace(p, center=(p.center[0] + int(round(shift_px * (p.z - z_focal))), p.center[1]))
            current[p.part + ":" + p.image] = (p, self._rect(p, bitmap), bitmap)
        changed: list[pygame.Rect] = []
        if full or not self._last:
            changed = [self.surface.get_rect()]
            self.full_redraws += 1
        else:
            for key, (p, rect, _) in current.items():
                old = self._last.get(key)
                if old is None or old[0] != p:
                    changed.append(rect)
                    if old is not None:
                        changed.append(old[1])
            for key, (_, rect) in self._last.items():
                if key not in current:
                    changed.append(rect)
        dirty = merge_rects(changed)
        for area in dirty:
            self.surface.set_clip(area)
            self.surface.blit(self.background, area, area)
            for p, rect, bitmap in current.values():
                if rect.colliderect(area):
                    self._blit(bitmap, rect, p.alpha)
        self.surface.set_clip(None)
        if self.label is not None:
            box = self.label.box(self.surface, (self.width // 2, int(self.height * 0.955)))
            if self.label_box is None or any(box.colliderect(a) for a in dirty):
                self.label_box = self.label.draw(self.surface, (self.width // 2, int(self.height * 0.955)))
                dirty.append(self.label_box)
        self._last = {k: (p, rect) for k, (p, rect, _) in current.items()}
        self.dirty = dirty
        return self.surface

    def _blit(self, bitmap: pygame.Surface, rect: pygame.Rect, alpha: int) -> None:
        if alpha >= ALPHA_STEPS:
            self.surface.blit(bitmap, rect)
            return
        faded = bitmap.copy()
        faded.fill((255, 255, 255, int(255 * alpha / ALPHA_STEPS)), special_flags=pygame.BLEND_RGBA_MULT)
        self.surface.blit(faded, rect)

    def part_rect(self, part_id: str) -> pygame.Rect | None:
        """Where a part was drawn in the last frame (union over its shapes)."""
        rects = [rect for key, (_, rect) in self._last.items() if key.split(":")[0] == part_id]
        return rects[0].unionall(rects[1:]) if rects else None


def merge_rects(rects: list[pygame.Rect]) -> list[pygame.Rect]:
    """Union overlapping rectangles so each pixel is redrawn once."""
    out: list[pygame.Rect] = []
    for r in rects:
        r = r.copy()
        merged = True
        while merged:
            merged = False
            for other in out:
                if r.colliderect(other):
                    r.union_ip(other)
                    out.remove(other)
                    merged = True
                    break
        out.append(r)
    return out


def mouth_open_pixels(surface: pygame.Surface, rect: pygame.Rect, interior: tuple[int, int, int],
                      tolerance: int = 24) -> int:
    """How many pixels of the open mouth's `interior` colour (the rig's) lie in `rect` (a test and
    report probe)."""
    import numpy as np

    rect = rect.clip(surface.get_rect())
    if rect.width == 0 or rect.height == 0:
        return 0
    pixels = pygame.surfarray.array3d(surface.subsurface(rect)).astype(int)
    distance = np.abs(pixels - np.array(interior)).sum(axis=2)
    return int((distance <= tolerance).sum())
