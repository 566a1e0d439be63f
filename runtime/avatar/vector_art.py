"""Small vector-drawing kit for the default character: curves, soft gradients, anti-aliasing.

Shapes are drawn 3x larger on an RGBA surface and scaled down (smoothscale), which
gives anti-aliased edges with plain pygame; colours can be filled with a vertical
gradient clipped to the shape. Pure functions of their arguments.
"""

from __future__ import annotations

from typing import Sequence

import pygame

Point = tuple[float, float]
SUPERSAMPLE = 3


def cubic(p0: Point, p1: Point, p2: Point, p3: Point, steps: int = 24) -> list[Point]:
    out = []
    for i in range(steps + 1):
        t = i / steps
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
        out.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return out


def path(*segments: Sequence[Point]) -> list[Point]:
    """Join curve segments into one outline (shared end points kept once)."""
    out: list[Point] = []
    for seg in segments:
        out.extend(seg if not out else seg[1:])
    return out


def ellipse_points(cx: float, cy: float, rx: float, ry: float, steps: int = 48) -> list[Point]:
    import math
    return [(cx + rx * math.cos(2 * math.pi * i / steps), cy + ry * math.sin(2 * math.pi * i / steps))
            for i in range(steps)]


class Layer:
    """One RGBA layer drawn in canvas coordinates, rendered at `scale`, cropped to `box`."""

    def __init__(self, box: tuple[float, float, float, float], scale: float):
        self.x, self.y, w, h = box
        self.scale = scale
        self.k = scale * SUPERSAMPLE
        self.surface = pygame.Surface((max(1, int(w * self.k)), max(1, int(h * self.k))), pygame.SRCALPHA)

    def _pt(self, p: Point) -> tuple[int, int]:
        return int((p[0] - self.x) * self.k), int((p[1] - self.y) * self.k)

    def fill(self, points: Sequence[Point], colour, gradient: tuple | None = None) -> None:
        pts = [self._pt(p) for p in points]
        if gradient is None:
            pygame.draw.polygon(self.surface, colour, pts)
            return
        mask = pygame.Surface(self.surface.get_size(), pygame.SRCALPHA)
        pygame.draw.polygon(mask, (255, 255, 255, 255), pts)
        top, bottom = gradient
        ys = [p[1] for p in pts]
        y0, y1 = max(0, min(ys)), min(self.surface.get_height(), max(ys) + 1)
        shade = pygame.Surface(self.surface.get_size(), pygame.SRCALPHA)
        for y in range(y0, y1):
            k = (y - y0) / max(1, y1 - y0 - 1)
            shade.fill(tuple(int(a + (b - a) * k) for a, b in zip(top, bottom)) + (255,), (0, y, shade.get_width(), 1))
        mask.blit(shade, (0, 0), special_flags=pygame.BLEND_RGBA_MULT)
        self.surface.blit(mask, (0, 0))

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, colour, gradient: tuple | None = None) -> None:
        self.fill(ellipse_points(cx, cy, rx, ry), colour, gradient)

    def line(self, points: Sequence[Point], colour, width: float) -> None:
        pts = [self._pt(p) for p in points]
        w = max(1, int(width * self.k))
        pygame.draw.lines(self.surface, colour, False, pts, w)
        for p in (pts[0], pts[-1]):              # round caps
            pygame.draw.circle(self.surface, colour, p, w // 2)

    def image(self) -> pygame.Surface:
        w, h = self.surface.get_size()
        return pygame.transform.smoothscale(self.surface, (max(1, w // SUPERSAMPLE), max(1, h // SUPERSAMPLE)))
