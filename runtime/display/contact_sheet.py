"""A contact sheet of an avatar pack: every expression and every viseme, for review before a push."""

from __future__ import annotations

from pathlib import Path

import pygame

from runtime.avatar.mouth_shapes import VISEMES
from runtime.avatar.rig import Rig
from runtime.avatar.rig_animator import AvatarMode, Inputs, RigAnimator
from runtime.display.renderer.rig_renderer import RigRenderer
from runtime.rights.file_labels import FileLabeller

TILE = (240, 300)
COLUMNS = 5


def contact_sheet(rig: Rig, out: Path, labeller: FileLabeller | None = None) -> Path:
    """Render the sheet as PNG: one tile per expression, then one per viseme (neutral face)."""
    pygame.display.init()
    pygame.font.init()
    width, height = 720, 1280
    renderer = RigRenderer(rig, width, height)
    cw, ch = rig.canvas
    head = renderer.k * cw * 0.5
    crop = pygame.Rect(0, 0, int(head), int(head * TILE[1] / TILE[0]))
    crop.center = (width // 2, int(renderer.oy + ch * 0.4 * renderer.k))
    tiles = [(f"expression: {name}", name, "sil") for name in rig.expressions]
    tiles += [(f"viseme: {v}", "neutral", v) for v in VISEMES]
    rows = (len(tiles) + COLUMNS - 1) // COLUMNS
    sheet = pygame.Surface((COLUMNS * TILE[0], rows * (TILE[1] + 28)))
    sheet.fill((235, 235, 235))
    font = pygame.font.Font(None, 24)
    for i, (title, expression, viseme) in enumerate(tiles):
        animator = RigAnimator(rig, seed=0, blinks=False)   # eyes open on every tile
        animator.express(expression)
        pose = None
        for _ in range(60):               # one second: fades and the mouth settle
            pose = animator.step(1 / 60, Inputs(AvatarMode.SPEAKING if viseme != "sil" else AvatarMode.IDLE,
                                                viseme))
        frame = renderer.draw(pose, full=True)
        tile = pygame.transform.smoothscale(frame.subsurface(crop.clip(frame.get_rect())), TILE)
        x, y = (i % COLUMNS) * TILE[0], (i // COLUMNS) * (TILE[1] + 28)
        sheet.blit(tile, (x, y))
        sheet.blit(font.render(title, True, (20, 20, 20)), (x + 8, y + TILE[1] + 5))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    (labeller or FileLabeller.from_env()).save_png(sheet, Path(out))
    return out
