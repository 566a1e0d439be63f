"""A notice for the visitor drawn over the avatar ("A member of staff is coming to help you."): what
the avatar says when it calls staff, shown too, so a visitor who did not hear it (a loud hall, a
hard-of-hearing visitor) still reads it.

An opaque box with the text, above the AI label, wrapped to the screen's width: drawing it again on
the same pixels gives the same pixels. Mandarin needs a CJK font (the AI label's: Droid Sans
Fallback, Han only); without one the notice is drawn with pygame's own font and a warning logged.
"""

from __future__ import annotations

import logging

import pygame

from .ai_label import find_cjk_font

_LOGGER = logging.getLogger(__name__)
BOX = (250, 214, 92)      # a warm yellow: a staff notice, not an error
INK = (20, 20, 20)


class NoticeBanner:
    def __init__(self, width: int, height: int):
        pygame.font.init()
        self.width, self.height = width, height
        self._size = max(14, int(34 * height / 960))
        self._cjk = find_cjk_font()
        self._cache: tuple[str, pygame.Surface] | None = None

    def _font(self, text: str) -> pygame.font.Font:
        han = any("\u4e00" <= ch <= "\u9fff" for ch in text)
        if han and self._cjk is not None:
            return pygame.font.Font(str(self._cjk), self._size)
        if han:
            _LOGGER.warning("no CJK font: the notice %r may not be readable (install fonts-droid-fallback)", text)
        return pygame.font.Font(None, int(self._size * 1.3))

    def _lines(self, text: str, font: pygame.font.Font, limit: int) -> list[str]:
        """The text in lines no wider than `limit` pixels (at spaces, or anywhere in Han text)."""
        words = text.split(" ") if " " in text else list(text)
        gap = " " if " " in text else ""
        lines, line = [], ""
        for word in words:
            trial = f"{line}{gap}{word}" if line else word
            if line and font.size(trial)[0] > limit:
                lines.append(line)
                line = word
            else:
                line = trial
        return lines + [line] if line else lines

    def image(self, text: str) -> pygame.Surface:
        """The notice's box with its text (kept while the text is the same)."""
        if self._cache is not None and self._cache[0] == text:
            return self._cache[1]
        font = self._font(text)
        pad = max(6, self._size // 3)
        rendered = [font.render(line, True, INK) for line in self._lines(text, font, self.width - 6 * pad)]
        width = max(r.get_width() for r in rendered) + 2 * pad
        height = sum(r.get_height() for r in rendered) + 2 * pad
        box = pygame.Surface((width, height))
        box.fill(BOX)
        y = pad
        for r in rendered:
            box.blit(r, ((width - r.get_width()) // 2, y))
            y += r.get_height()
        self._cache = (text, box)
        return box

    def draw(self, target: pygame.Surface, text: str, above: int | None = None) -> pygame.Rect:
        """Draw the notice centred, its bottom just above `above` (the AI label's top: the label is
        never covered); its rectangle (for the display's dirty list)."""
        box = self.image(text)
        bottom = (above if above is not None else int(target.get_height() * 0.92)) - 4
        rect = box.get_rect(midbottom=(target.get_width() // 2, bottom))
        rect.clamp_ip(target.get_rect())
        target.blit(box, rect)
        return rect
