"""The avatar on screen: fixed-step animation, read-only drawing, frames kept on request.

`advance(t, mode, viseme_at)` steps the rig's animation to session time t in
fixed steps, reading the mouth's viseme at each step's own time, then draws once
if a frame is due for the display (only the rectangles that changed) or for the
frames folder. Cues from the dialogue ([smile], [wave]) go to `cue()`. A notice for the visitor
("a member of staff is coming") is shown over the avatar from `show_notice` until its end time
(`notice_at(t)` says what is on screen at t).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pygame

from runtime.avatar.clock import FixedStepClock
from runtime.avatar.default_character import default_pack
from runtime.avatar.rig import Rig
from runtime.avatar.rig_animator import AvatarMode, Inputs, RigAnimator, RigPose
from runtime.avatar.rig_loader import load_rig
from runtime.display.outputs.view_geometry import view_size
from runtime.display.renderer.display import Display
from runtime.display.renderer.notice import NoticeBanner
from runtime.display.renderer.rig_renderer import RigRenderer, mouth_open_pixels
from runtime.rights.file_labels import FileLabeller

from .panel_backend import NumpyBackend, PanelBackend
from .panel_profile import PanelProfile

_LOGGER = logging.getLogger(__name__)
# The mouth starts moving toward a sound this much before it is heard, so the shape
# is fully formed on time (animators draw mouths a frame early for the same reason).
LIP_LEAD_S = 0.025


@dataclass(frozen=True)
class SavedFrame:
    t_ms: int
    file: str
    mode: str
    viseme: str
    mouth_open: float
    mouth_pixels: int
    avatar: str = ""


def open_rig(avatar_dir: Path | None, height: int) -> Rig:
    """The avatar pack to show: an admin's folder, or the default character drawn for this height."""
    folder = Path(avatar_dir) if avatar_dir else default_pack(height)
    rig = load_rig(folder)
    _LOGGER.info("avatar %r from %s (%d parts)", rig.name, folder, len(rig.parts))
    return rig


class AvatarView:
    def __init__(self, display: Display, frames_dir: Path | None = None, frame_every_s: float = 0.2,
                 max_frames: int = 300, fps: float = 30.0, seed: int = 0, avatar_dir: Path | None = None,
                 panel: PanelProfile | None = None, labeller: FileLabeller | None = None,
                 panel_backend: PanelBackend | None = None):
        self.display = display
        self.panel_backend = panel_backend or NumpyBackend()
        self.labeller = labeller or FileLabeller.from_env()    # the implicit AI label in every saved frame
        self.panel = panel
        self.seed = seed
        self._open(avatar_dir)
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
        self.pose: RigPose | None = None
        self.frames_drawn = 0
        self.visitor_x: float | None = None   # -1..1 when a sensor knows where the visitor is
        self.shown: list[tuple[int, str]] = []  # (ms, dominant mouth shape) at each change, for av_offset_ms
        self._notice: tuple[str, float, float] | None = None   # (text, from, until) in session seconds
        self._notice_on_surface = False   # the renderer's surface holds the notice's pixels

    def _open(self, avatar_dir: Path | None) -> None:
        self.avatar_dir = Path(avatar_dir) if avatar_dir else None
        self.output = None
        panel = self.panel
        if panel is not None and panel.format != "flat":
            # A 3D / holographic panel: its PanelOutput renders the views and composes the panel image.
            self.rig = open_rig(avatar_dir, view_size(panel)[1])
            self.output = self.panel_backend.make_output(self.rig, panel)
            _LOGGER.info("panel output %s: %d view(s) of %dx%d composed to %dx%d by %s", self.output.name,
                         self.output.views, *self.output.view_size, *self.output.size, self.panel_backend.name)
        else:
            self.rig = open_rig(avatar_dir, self.display.height)
        self.renderer = RigRenderer(self.rig, self.display.width, self.display.height)
        self.banner = NoticeBanner(self.display.width, self.display.height)
        self._notice_on_surface = False
        self.animator = RigAnimator(self.rig, self.seed)

    def change_avatar(self, avatar_dir: Path | None) -> None:
        """Show another character from the next frame on (None: the default one); the animation
        clock goes on where it was."""
        t = self.animator.t
        self._open(avatar_dir)
        self.animator = RigAnimator(self.rig, self.seed, t)
        self.pose = None
        self._next_show = 0.0

    def set_fps(self, fps: float) -> None:
        """Cap how often the display is redrawn (lowered while the board throttles)."""
        self._show_every = 1.0 / max(1.0, fps)

    def cue(self, name: str) -> None:
        """An expression or motion cue from an answer ([smile], [wave]): play it now."""
        if name in self.rig.expressions:
            self.animator.express(name)
        elif name in self.rig.motions:
            self.animator.play(name)
        else:
            _LOGGER.warning("avatar %r has no expression or motion %r", self.rig.name, name)

    def show_notice(self, text: str, at: float, seconds: float) -> None:
        """Show `text` over the avatar from session time `at` for `seconds` (replaces any notice)."""
        self._notice = (text, at, at + seconds)
        _LOGGER.info("notice on screen for %.0f s: %r", seconds, text)

    def notice_at(self, t: float) -> str | None:
        """The notice on screen at session time t, if any."""
        if self._notice is None:
            return None
        text, start, until = self._notice
        return text if start <= t < until else None

    def advance(self, t: float, mode: AvatarMode, viseme_at: Callable[[float], str]) -> None:
        for _ in range(self.clock.steps_to(t)):
            step_t = self.animator.t + self.clock.dt
            self.pose = self.animator.step(self.clock.dt, Inputs(mode, viseme_at(step_t + LIP_LEAD_S),
                                                                 self.visitor_x))
            dominant = self.pose.mouth[0][0] if self.pose.mouth else "sil"
            if not self.shown or self.shown[-1][1] != dominant:
                self.shown.append((int(round(self.pose.t * 1000)), dominant))
            self._maybe_save()
        if self.pose is not None and self._show_on_screen and t >= self._next_show:
            self._next_show = t + self._show_every
            surface, dirty = self._frame()
            self.display.show(surface, dirty)
            self.frames_drawn += 1

    @property
    def rendering(self) -> bool:
        """A frame of the avatar went to the display (headless: nothing to show it on, so the first
        pose computed) — the service's "rendering" health check."""
        return self.frames_drawn > 0 or (not self._show_on_screen and self.pose is not None)

    def _frame(self) -> tuple[pygame.Surface, list[pygame.Rect] | None]:
        """The picture for the display: the panel output's image (fitted to the display) or the flat avatar."""
        if self.output is None:
            return self._flat(self.pose)
        image = self.output.render(self.pose)
        size = (self.display.width, self.display.height)
        notice = self.notice_at(self.pose.t)
        if image.get_size() == size:
            if notice is not None:     # over the composed panel image (the output's own surface is left alone)
                image = image.copy()
                self.banner.draw(image, notice)
            return image, None
        k = min(size[0] / image.get_width(), size[1] / image.get_height())   # letterboxed, never stretched
        fitted = pygame.transform.smoothscale(image, (max(1, int(image.get_width() * k)),
                                                      max(1, int(image.get_height() * k))))
        frame = pygame.Surface(size)
        frame.blit(fitted, fitted.get_rect(center=(size[0] // 2, size[1] // 2)))
        if notice is not None:
            self.banner.draw(frame, notice)
        return frame, None

    def _flat(self, pose: RigPose) -> tuple[pygame.Surface, list[pygame.Rect] | None]:
        """The flat avatar drawn by the renderer, with the notice over it while there is one. The
        renderer redraws only what changed, so the notice is drawn again on every frame (opaque: the
        same pixels) and, once it is gone, one full redraw clears it."""
        notice = self.notice_at(pose.t)
        full = self._notice_on_surface and notice is None
        surface = self.renderer.draw(pose, full=full)
        dirty = None if full else list(self.renderer.dirty)
        self._notice_on_surface = notice is not None
        if notice is not None:
            above = self.renderer.label_box.top if self.renderer.label_box is not None else None
            rect = self.banner.draw(surface, notice, above)
            if dirty is not None:
                dirty.append(rect)
        return surface, dirty

    def _maybe_save(self) -> None:
        pose = self.pose
        if (self.frames_dir is None or pose is None or pose.t + 1e-9 < self._next_save
                or len(self.saved) >= self.max_frames):
            return
        self._next_save += self.frame_every_s
        surface = self._flat(pose)[0]
        if self.output is not None:   # the frame as the panel gets it, fitted to the frames' size
            panel_image = self._frame()[0]
        self.frames_drawn += 1
        t_ms = int(round(pose.t * 1000))
        name = f"frame_{t_ms:07d}ms.png"
        self.labeller.save_png(surface if self.output is None else panel_image, self.frames_dir / name)
        mouth = self.renderer.part_rect("mouth")
        self.saved.append(SavedFrame(t_ms, name, pose.mode.value, pose.viseme,
                                     round(pose.params.get("ParamMouthOpenY", 0.0), 3),
                                     mouth_open_pixels(surface, mouth, self.rig.mouth_interior)
                                     if mouth and self.rig.mouth_interior else 0, self.rig.name))
