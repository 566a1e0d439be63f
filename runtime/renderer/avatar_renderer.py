"""Draws the default 2.5D character from an AvatarPose, read-only, with pygame.

Layers back to front: background, hair (back), body, neck, face, eyes, brows,
mouth, hair (front), accessory, label. Each layer moves with the head by its
depth, which gives the 2.5D parallax. Geometry is in a 540x960 design space,
scaled to any output size.
"""

from __future__ import annotations

import math

import pygame

from ..avatar.animator import AvatarMode, AvatarPose
from .ai_label import AiLabel

DESIGN_W, DESIGN_H = 540, 960
MOUTH_INTERIOR = (92, 18, 34)
SKIN = (247, 214, 190)
SKIN_SHADE = (232, 190, 165)
HAIR = (52, 36, 40)
HAIR_LIGHT = (82, 58, 62)
JACKET = (22, 110, 128)
JACKET_DARK = (15, 80, 95)
SHIRT = (245, 245, 240)
IRIS = (70, 105, 150)
LIP = (196, 96, 104)
MODE_COLOURS = {AvatarMode.IDLE: (120, 130, 140), AvatarMode.LISTENING: (60, 180, 110),
                AvatarMode.THINKING: (230, 170, 50), AvatarMode.SPEAKING: (70, 150, 230)}


class AvatarRenderer:
    def __init__(self, width: int, height: int):
        # Only what drawing needs: pygame.init() would also open SDL's audio device.
        pygame.display.init()
        self.width, self.height = width, height
        self.scale = min(width / DESIGN_W, height / DESIGN_H)
        self.ox = (width - DESIGN_W * self.scale) / 2
        self.oy = (height - DESIGN_H * self.scale) / 2
        self.surface = pygame.Surface((width, height))
        self._background = self._make_background()
        self.label = AiLabel(int(26 * self.scale))
        self.label_box: pygame.Rect | None = None

    # -- geometry helpers (design space -> pixels)
    def _p(self, x: float, y: float) -> tuple[int, int]:
        return int(self.ox + x * self.scale), int(self.oy + y * self.scale)

    def _r(self, x: float, y: float, w: float, h: float) -> pygame.Rect:
        return pygame.Rect(int(self.ox + (x - w / 2) * self.scale), int(self.oy + (y - h / 2) * self.scale),
                           max(1, int(w * self.scale)), max(1, int(h * self.scale)))

    def _make_background(self) -> pygame.Surface:
        bg = pygame.Surface((self.width, self.height))
        for y in range(self.height):
            k = y / max(1, self.height - 1)
            bg.fill((int(28 + 30 * k), int(40 + 36 * k), int(64 + 40 * k)), (0, y, self.width, 1))
        return bg

    def mouth_rect(self) -> pygame.Rect:
        """Where the mouth can be, in pixels (for tests and dirty rectangles)."""
        return self._r(270, 452, 120, 90)

    def draw(self, pose: AvatarPose) -> pygame.Surface:
        s = self.surface
        s.blit(self._background, (0, 0))
        hx = pose.head_x * 14 + pose.head_tilt * 6
        hy = pose.head_y * 10 - pose.breath * 2
        by = -pose.breath * 3

        # hair, back layer (depth: moves less than the face)
        pygame.draw.ellipse(s, HAIR, self._r(270 + hx * 0.6, 330 + hy * 0.6, 300, 360))
        pygame.draw.rect(s, HAIR, self._r(270 + hx * 0.5, 470 + hy * 0.5, 270, 230),
                         border_radius=int(40 * self.scale))
        # body
        pygame.draw.ellipse(s, JACKET, self._r(270, 860 + by, 520, 420))
        pygame.draw.polygon(s, SHIRT, [self._p(225, 660 + by), self._p(315, 660 + by), self._p(270, 760 + by)])
        pygame.draw.polygon(s, JACKET_DARK, [self._p(220, 660 + by), self._p(250, 760 + by), self._p(180, 700 + by)])
        pygame.draw.polygon(s, JACKET_DARK, [self._p(320, 660 + by), self._p(290, 760 + by), self._p(360, 700 + by)])
        pygame.draw.rect(s, (240, 200, 80), self._r(370, 760 + by, 70, 24), border_radius=int(4 * self.scale))
        # neck
        pygame.draw.rect(s, SKIN_SHADE, self._r(270 + hx * 0.3, 600 + hy * 0.3, 84, 110))
        # face
        fx, fy = 270 + hx, 380 + hy
        pygame.draw.ellipse(s, SKIN, self._r(fx, fy, 236, 300))
        pygame.draw.ellipse(s, SKIN, self._r(fx - 118, fy + 10, 34, 60))
        pygame.draw.ellipse(s, SKIN, self._r(fx + 118, fy + 10, 34, 60))
        self._draw_eyes(pose, fx, fy)
        self._draw_brows(pose, fx, fy)
        pygame.draw.line(s, SKIN_SHADE, self._p(fx + 2, fy + 20), self._p(fx - 4, fy + 48), max(1, int(3 * self.scale)))
        pygame.draw.ellipse(s, (240, 170, 165), self._r(fx - 70, fy + 50, 40, 18))
        pygame.draw.ellipse(s, (240, 170, 165), self._r(fx + 70, fy + 50, 40, 18))
        self._draw_mouth(pose, fx, fy)
        # hair, front layer (bangs) moves a little more than the face
        pygame.draw.polygon(s, HAIR_LIGHT, [self._p(fx * 1.0 + hx * 0.2 + dx, fy + dy) for dx, dy in
                                            ((-122, -30), (-110, -120), (-40, -160), (60, -158),
                                             (120, -100), (124, -20), (90, -90), (10, -70),
                                             (-60, -95), (-100, -40))])
        self._draw_earring(pose, fx, fy)
        # mode lamp and the AI label (always shown)
        pygame.draw.circle(s, MODE_COLOURS[pose.mode], self._p(40, 40), max(3, int(12 * self.scale)))
        self.label_box = self.label.draw(s, self._p(270, 920))
        return s

    def _draw_eyes(self, pose: AvatarPose, fx: float, fy: float) -> None:
        s = self.surface
        for side in (-1, 1):
            ex, ey = fx + side * 50, fy - 8
            pygame.draw.ellipse(s, (255, 255, 255), self._r(ex, ey, 56, 36))
            ix, iy = ex + pose.gaze_x * 10, ey + pose.gaze_y * 6
            pygame.draw.circle(s, IRIS, self._p(ix, iy), max(2, int(14 * self.scale)))
            pygame.draw.circle(s, (20, 20, 30), self._p(ix, iy), max(1, int(7 * self.scale)))
            pygame.draw.circle(s, (255, 255, 255), self._p(ix + 4, iy - 4), max(1, int(3 * self.scale)))
            lid = (1.0 - pose.eye_open) * 40
            if lid > 0.5:
                pygame.draw.rect(s, SKIN, self._r(ex, ey - 20 + lid / 2, 62, lid + 2))
            pygame.draw.arc(s, HAIR, self._r(ex, ey - 20 + lid, 60, 20), 0.2, math.pi - 0.2,
                            max(1, int(3 * self.scale)))

    def _draw_brows(self, pose: AvatarPose, fx: float, fy: float) -> None:
        lift = 6 if pose.mode is AvatarMode.LISTENING else (-3 if pose.mode is AvatarMode.THINKING else 0)
        for side in (-1, 1):
            x0, x1 = fx + side * 28, fx + side * 76
            pygame.draw.line(self.surface, HAIR, self._p(x0, fy - 54 - lift), self._p(x1, fy - 48 - lift),
                             max(2, int(7 * self.scale)))

    def _draw_mouth(self, pose: AvatarPose, fx: float, fy: float) -> None:
        s = self.surface
        mx, my = fx, fy + 82
        width = 54 * (1.0 + 0.35 * pose.mouth_form)
        height = 46 * pose.mouth_open
        if height < 3:
            pygame.draw.arc(s, LIP, self._r(mx, my - 8, width, 18), math.pi + 0.3, 2 * math.pi - 0.3,
                            max(2, int(4 * self.scale)))
            return
        pygame.draw.ellipse(s, LIP, self._r(mx, my, width + 8, height + 8))
        pygame.draw.ellipse(s, MOUTH_INTERIOR, self._r(mx, my, width, height))
        if pose.mouth_open > 0.35:
            pygame.draw.rect(s, (250, 250, 250), self._r(mx, my - height / 2 + 4, width * 0.6, 6))

    def _draw_earring(self, pose: AvatarPose, fx: float, fy: float) -> None:
        # A swinging drop: lags the head (a pendulum driven by head motion).
        swing = -pose.head_x * 0.6 + 0.15 * math.sin(pose.t * 2.4)
        ax, ay = fx + 120, fy + 36
        bx, by = ax + 26 * math.sin(swing), ay + 26 * math.cos(swing)
        pygame.draw.line(self.surface, (230, 200, 90), self._p(ax, ay), self._p(bx, by), max(1, int(2 * self.scale)))
        pygame.draw.circle(self.surface, (90, 200, 220), self._p(bx, by), max(2, int(7 * self.scale)))


def mouth_open_pixels(surface: pygame.Surface, rect: pygame.Rect) -> int:
    """How many pixels of open-mouth interior lie in `rect` (a test probe)."""
    import numpy as np
    pixels = pygame.surfarray.pixels3d(surface.subsurface(rect))
    hit = np.all(pixels == np.array(MOUTH_INTERIOR, dtype=pixels.dtype), axis=2)
    return int(hit.sum())
