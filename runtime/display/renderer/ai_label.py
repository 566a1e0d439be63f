"""The on-screen label that the avatar and its speech are AI-generated.

China's deep-synthesis provisions and AI-content labelling measures require a
visible label wherever the synthetic person is shown. It is drawn on every frame
by the renderer; there is deliberately no setting, config key or pack field that
turns it off (runtime/settings_file.py refuses any that tries). The Chinese text
needs a CJK font: Droid Sans Fallback (Apache-2.0, Debian `fonts-droid-fallback`,
installed by scripts/setup.sh); without one the English line is shown and a
warning logged.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pygame

_LOGGER = logging.getLogger(__name__)
TEXT_ZH = "人工智能生成的数字人"  # Han only: the CJK fallback font has no Latin glyphs
TEXT_EN = "AI-generated digital human"
CJK_FONTS = (
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)


def find_cjk_font() -> Path | None:
    return next((p for p in CJK_FONTS if p.exists()), None)


class AiLabel:
    def __init__(self, height_px: int):
        pygame.font.init()
        self.font_path = find_cjk_font()
        size = max(12, height_px)
        english = pygame.font.Font(None, size).render(TEXT_EN, True, (255, 255, 255))
        if self.font_path is None:
            _LOGGER.warning("no CJK font found (%s): the AI label is shown in English only; "
                            "install fonts-droid-fallback", ", ".join(str(p) for p in CJK_FONTS))
            self.text, self.surface = TEXT_EN, english
            return
        chinese = pygame.font.Font(str(self.font_path), int(size * 0.75)).render(TEXT_ZH, True, (255, 255, 255))
        self.text = f"{TEXT_ZH}\n{TEXT_EN}"
        self.surface = pygame.Surface((max(chinese.get_width(), english.get_width()),
                                       chinese.get_height() + english.get_height()), pygame.SRCALPHA)
        self.surface.blit(chinese, ((self.surface.get_width() - chinese.get_width()) // 2, 0))
        self.surface.blit(english, ((self.surface.get_width() - english.get_width()) // 2, chinese.get_height()))

    def box(self, target: pygame.Surface, center: tuple[int, int]) -> pygame.Rect:
        """Where `draw` would put the label (its black box), without drawing."""
        label, rect = self._fit(target, center)
        return rect.inflate(16, 8)

    def _fit(self, target: pygame.Surface, center: tuple[int, int]) -> tuple[pygame.Surface, pygame.Rect]:
        rect = self.surface.get_rect(center=center)
        if rect.width + 16 > target.get_width():   # narrow panels: shrink, never drop it
            scale = (target.get_width() - 16) / rect.width
            label = pygame.transform.smoothscale(self.surface, (int(rect.width * scale), int(rect.height * scale)))
            rect = label.get_rect(center=center)
        else:
            label = self.surface
        rect.clamp_ip(target.get_rect().inflate(-16, -8))   # small panels: keep it whole on screen
        return label, rect

    def draw(self, target: pygame.Surface, center: tuple[int, int]) -> pygame.Rect:
        label, rect = self._fit(target, center)
        box = rect.inflate(16, 8)
        pygame.draw.rect(target, (0, 0, 0), box, border_radius=6)
        target.blit(label, rect)
        return box
