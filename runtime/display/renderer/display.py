"""Where frames go: a pygame window, or nowhere (headless), behind one Protocol."""

from __future__ import annotations

import logging
import os
import time
from typing import Protocol

import pygame

from runtime.shared.errors import DisplayError

_LOGGER = logging.getLogger(__name__)


class Display(Protocol):
    name: str
    width: int
    height: int

    def show(self, frame: pygame.Surface, dirty: list[pygame.Rect] | None = None) -> None:
        """Present `frame`; `dirty` (when given) lists the only rectangles that changed."""

    def quit_requested(self) -> bool: ...

    def close(self) -> None: ...


class HeadlessDisplay:
    """No screen: frames are only rendered (and saved when asked)."""

    name = "headless"

    def __init__(self, width: int, height: int):
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        self.width, self.height = width, height
        self.shown = 0

    def show(self, frame: pygame.Surface, dirty: list[pygame.Rect] | None = None) -> None:
        self.shown += 1

    def quit_requested(self) -> bool:
        return False

    def close(self) -> None:
        pass


class WindowDisplay:
    """A window (or the whole screen). A display that goes away (HDMI pulled, the compositor
    restarted) makes pygame raise: the kiosk keeps running without drawing, the display is
    reopened every `retry_every_s`, and the first frame after it is back is drawn whole."""

    name = "window"

    def __init__(self, width: int, height: int, fullscreen: bool = False, retry_every_s: float = 3.0,
                 clock=time.monotonic):
        self.width, self.height = width, height
        self._flags = pygame.FULLSCREEN if fullscreen else 0
        self._clock = clock
        self.retry_every_s = retry_every_s
        self._quit = False
        self._lost_at: float | None = None
        self._tried_at = 0.0
        self.losses = 0
        try:
            self._open()
        except pygame.error as err:
            raise DisplayError(f"display: cannot open a {width}x{height} window ({err}); "
                               "use --display headless") from err

    def _open(self) -> None:
        pygame.display.init()
        self._screen = pygame.display.set_mode((self.width, self.height), self._flags)
        pygame.display.set_caption("edge-avatar")

    def show(self, frame: pygame.Surface, dirty: list[pygame.Rect] | None = None) -> None:
        if self._lost_at is not None:
            if not self._try_back():
                return
            dirty = None                      # a reopened screen is blank: draw the whole frame
        try:
            if dirty is None:
                self._screen.blit(frame, (0, 0))
                pygame.display.flip()
                return
            for rect in dirty:
                self._screen.blit(frame, rect, rect)
            pygame.display.update(dirty)
        except pygame.error as err:
            self._lost(err)

    def _lost(self, err: pygame.error) -> None:
        self.losses += 1
        self._lost_at = self._tried_at = self._clock()
        _LOGGER.error("display lost (%s); the kiosk runs on and tries it again every %.0f s",
                      err, self.retry_every_s)

    def _try_back(self) -> bool:
        now = self._clock()
        if now - self._tried_at < self.retry_every_s:
            return False
        self._tried_at = now
        try:
            pygame.display.quit()
            self._open()
        except pygame.error as err:
            _LOGGER.warning("display not back yet: %s", err)
            return False
        _LOGGER.warning("display back after %.0f s", now - self._lost_at)
        self._lost_at = None
        self._screen.fill((0, 0, 0))
        return True

    @property
    def lost(self) -> bool:
        return self._lost_at is not None

    def quit_requested(self) -> bool:
        if self._lost_at is not None:
            return self._quit
        try:
            events = pygame.event.get()
        except pygame.error as err:
            self._lost(err)
            return self._quit
        for event in events:
            if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE):
                self._quit = True
        return self._quit

    def close(self) -> None:
        pygame.display.quit()


def has_screen() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
