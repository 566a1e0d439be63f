"""`edge-avatar panel test NAME`: a calibration pattern through the panel's own composition.

Each view shows its number, a grid and a depth ramp, so an installer looking at
the panel sees the view numbers change smoothly as they move sideways (lenticular,
quilt), a mirrored picture the right way round in the glass (pepper's ghost), the
circle filled (LED fan), and the ramp going from far (black) to near (white).
"""

from __future__ import annotations

from pathlib import Path

import pygame

from runtime.display.avatar_view import open_rig
from runtime.display.panel_profile import PanelProfile
from runtime.rights.file_labels import FileLabeller

from .panel_outputs import make_output


def view_pattern(k: int, count: int, size: tuple[int, int]) -> pygame.Surface:
    w, h = size
    view = pygame.Surface(size)
    hue = pygame.Color(0)
    hue.hsva = (360.0 * k / max(1, count), 70, 45, 100)
    view.fill(hue)
    step = max(8, min(w, h) // 8)
    for x in range(0, w, step):
        pygame.draw.line(view, (200, 200, 200), (x, 0), (x, h), 1)
    for y in range(0, h, step):
        pygame.draw.line(view, (200, 200, 200), (0, y), (w, y), 1)
    ramp = pygame.Rect(w // 10, int(h * 0.8), w * 8 // 10, max(4, h // 16))
    for i in range(ramp.width):
        g = int(255 * i / max(1, ramp.width - 1))
        view.fill((g, g, g), (ramp.x + i, ramp.y, 1, ramp.height))
    pygame.font.init()
    font = pygame.font.Font(None, max(12, int(min(w, h) * 0.45)))
    label = font.render(str(k), True, (255, 255, 255))
    view.blit(label, label.get_rect(center=(w // 2, int(h * 0.42))))
    pygame.draw.polygon(view, (255, 230, 0), [(w // 2, int(h * 0.05)), (w // 2 - step // 2, int(h * 0.05) + step // 2),
                                              (w // 2 + step // 2, int(h * 0.05) + step // 2)])   # "up"
    return view


def render_test_pattern(profile: PanelProfile, out: Path, labeller: FileLabeller | None = None) -> Path:
    pygame.display.init()
    output = make_output(open_rig(None, 256), profile)
    views = [view_pattern(k, output.views, output.view_size) for k in range(output.views)]
    image = output.compose(views)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    (labeller or FileLabeller.from_env()).save_png(image, out)
    return out
