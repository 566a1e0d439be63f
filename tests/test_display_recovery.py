"""The display lost and back (issue 11): pygame raising under the kiosk does not stop it; the
window is reopened after the retry interval and the first frame after that is drawn whole."""

from __future__ import annotations

import pygame

from runtime.display.renderer.display import WindowDisplay


def _frame(colour) -> pygame.Surface:
    surface = pygame.Surface((64, 48))
    surface.fill(colour)
    return surface


def test_a_lost_display_is_reopened_and_the_next_frame_drawn_whole(caplog):
    now = [0.0]
    display = WindowDisplay(64, 48, retry_every_s=3.0, clock=lambda: now[0])
    display.show(_frame((200, 0, 0)))
    assert pygame.display.get_surface().get_at((5, 5))[:3] == (200, 0, 0)
    pygame.display.quit()                                   # the HDMI cable is pulled
    display.show(_frame((0, 200, 0)), [pygame.Rect(0, 0, 8, 8)])
    assert display.lost and display.losses == 1 and "display lost" in caplog.text
    assert not display.quit_requested()
    now[0] = 1.0
    display.show(_frame((0, 200, 0)), [pygame.Rect(0, 0, 8, 8)])   # too early to try again: skipped
    assert display.lost
    now[0] = 3.5
    display.show(_frame((0, 0, 200)), [pygame.Rect(0, 0, 8, 8)])   # back: the whole frame, not the rectangle
    assert not display.lost and "display back" in caplog.text
    assert pygame.display.get_surface().get_at((60, 40))[:3] == (0, 0, 200)
    display.close()
