"""Where frames go: a pygame window, or nowhere (headless), behind one Protocol."""

from __future__ import annotations

import logging
import os
from typing import Protocol

import pygame

from ..errors import DisplayError

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
    name = "window"

    def __init__(self, width: int, height: int, fullscreen: bool = False):
        try:
            pygame.display.init()
            flags = pygame.FULLSCREEN if fullscreen else 0
            self._screen = pygame.display.set_mode((width, height), flags)
        except pygame.error as err:
            raise DisplayError(f"display: cannot open a {width}x{height} window ({err}); "
                               "use --display headless") from err
        pygame.display.set_caption("edge-avatar")
        self.width, self.height = width, height
        self._quit = False

    def show(self, frame: pygame.Surface, dirty: list[pygame.Rect] | None = None) -> None:
        if dirty is None:
            self._screen.blit(frame, (0, 0))
            pygame.display.flip()
            return
        for rect in dirty:
            self._screen.blit(frame, rect, rect)
        pygame.display.update(dirty)

    def quit_requested(self) -> bool:
        for event in pygame.event.get():
            if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE):
                self._quit = True
        return self._quit

    def close(self) -> None:
        pygame.display.quit()


def has_screen() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
