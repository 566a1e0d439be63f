"""A panel output whose views are composed on the GPU: the numpy output draws the views (and stays
the reference), the GL compositor turns them into the panel image."""

from __future__ import annotations

import pygame

from runtime.avatar.rig_animator import RigPose
from runtime.display.outputs.panel_outputs import PanelOutput

from .composition_plan import plan_for
from .egl_context import GlesContext
from .gl_compositor import GlCompositor


class GlPanelOutput:
    """Same name, sizes and views as the numpy output it wraps; `compose` and `render` run the shader."""

    def __init__(self, inner: PanelOutput, ctx: GlesContext):
        self.inner, self.ctx = inner, ctx
        self.name, self.size, self.view_size, self.views = inner.name, inner.size, inner.view_size, inner.views
        self.plan = plan_for(inner)
        ctx.make_current()
        self.compositor = GlCompositor(ctx, self.plan)
        self._first = True
        self.dirty: list[pygame.Rect] | None = None

    def render(self, pose: RigPose) -> pygame.Surface:
        views = self.inner.draw_views(pose)
        changed = None if self._first else self.inner.view_dirty
        self._first = False
        return self._compose(views, changed)

    def compose(self, views: list[pygame.Surface]) -> pygame.Surface:
        return self._compose(views, None)

    def draw_views(self, pose: RigPose) -> list[pygame.Surface]:
        return self.inner.draw_views(pose)

    @property
    def view_dirty(self) -> list[list[pygame.Rect]]:
        return self.inner.view_dirty

    def _compose(self, views: list[pygame.Surface], changed: list[list[pygame.Rect]] | None) -> pygame.Surface:
        self.ctx.make_current()        # this thread's current context may have changed since the last frame
        self.compositor.upload(views, changed)
        self.dirty = self.plan.dirty_areas(changed)
        return self.compositor.draw(self.dirty)

    def release(self) -> None:
        self.ctx.make_current()
        self.compositor.release()
