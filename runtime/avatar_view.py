"""The avatar on screen: fixed-step animation, read-only drawing, frames kept on request.

`advance(t, mode, viseme_at)` steps the animation to session time t in fixed
steps, reading the mouth's viseme at each step's own time, then draws once if a
frame is due for the display or for the frames folder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pygame

from .avatar.animator import Animator, AvatarMode, AvatarPose, FixedStepClock
from .renderer.avatar_renderer import AvatarRenderer, mouth_open_pixels
from .renderer.display import Display

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class SavedFrame:
    t_ms: int
    file: str
    mode: str
    viseme: str
    mouth_open: float
    mouth_pixels: int


class AvatarView:
    def __init__(self, display: Display, frames_dir: Path | None = None, frame_every_s: float = 0.2,
                 max_frames: int = 300, fps: float = 30.0, seed: int = 0):
        self.display = display
        self.renderer = AvatarRenderer(display.width, display.height)
        self.animator = Animator(seed)
        self.clock = FixedStepClock()
        self.frames_dir = Path(frames_dir) if frames_dir else None
        if self.frames_dir:
            self.frames_dir.mkdir(parents=True, exist_ok=True)
        self.frame_every_s = frame_every_s
        self.max_frames = max_frames
        self.saved: list[SavedFrame] = []
        self._next_save = 0.0
        self._next_show = 0.0
        self._show_every = 1.0 / fps
        self._show_on_screen = display.name != "headless"
        self.pose: AvatarPose | None = None
        self.frames_drawn = 0

    def set_fps(self, fps: float) -> None:
        """Cap how often the display is redrawn (lowered while the board throttles)."""
        self._show_every = 1.0 / max(1.0, fps)

    def advance(self, t: float, mode: AvatarMode, viseme_at: Callable[[float], str]) -> None:
        for _ in range(self.clock.steps_to(t)):
            step_t = self.animator.t + self.clock.dt
            self.pose = self.animator.step(self.clock.dt, viseme_at(step_t), mode)
            self._maybe_save()
        if self.pose is not None and self._show_on_screen and t >= self._next_show:
            self._next_show = t + self._show_every
            self.display.show(self.renderer.draw(self.pose))
            self.frames_drawn += 1

    def _maybe_save(self) -> None:
        pose = self.pose
        if (self.frames_dir is None or pose is None or pose.t + 1e-9 < self._next_save
                or len(self.saved) >= self.max_frames):
            return
        self._next_save += self.frame_every_s
        surface = self.renderer.draw(pose)
        self.frames_drawn += 1
        t_ms = int(round(pose.t * 1000))
        name = f"frame_{t_ms:07d}ms.png"
        pygame.image.save(surface, str(self.frames_dir / name))
        self.saved.append(SavedFrame(t_ms, name, pose.mode.value, pose.viseme, round(pose.mouth_open, 3),
                                     mouth_open_pixels(surface, self.renderer.mouth_rect())))
