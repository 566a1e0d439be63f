"""Who composes a 3D / holographic panel's image: numpy on the CPU or an OpenGL ES shader.
Chosen once at start-up (`--panel-backend auto|gl|numpy`), logged with the reason.

`auto` makes an OpenGL ES 3.1 context when the panel needs composing (not for a flat panel, which
is drawn directly) and uses numpy when none can be made or when the only renderer is a software
one (Mesa's llvmpipe: the shader would run on the CPU, measured no cheaper than numpy, see
docs/panels.md); `gl` uses any context, software included, and refuses to start without one.
Both backends draw the views the same way (pygame, dirty rectangles); the numpy composition is the
reference the GL one is tested against.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from runtime.avatar.rig import Rig
from runtime.display.outputs.panel_outputs import PanelOutput, make_output
from runtime.display.panel_profile import PanelProfile
from runtime.shared.errors import ConfigError

from .gl.egl_context import GlesContext, GlUnavailable, open_gles_context

_LOGGER = logging.getLogger(__name__)
PANEL_BACKENDS = ("auto", "gl", "numpy")
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "swiftshader")


class PanelBackend(Protocol):
    name: str

    def make_output(self, rig: Rig, profile: PanelProfile) -> PanelOutput: ...


class NumpyBackend:
    """Views composed with numpy (index-map gathers, blits): the reference, and the fallback."""
    name = "numpy"

    def make_output(self, rig: Rig, profile: PanelProfile) -> PanelOutput:
        return make_output(rig, profile)


class GlBackend:
    """Views composed by the shader in `runtime/display/gl/` on one OpenGL ES context."""
    name = "gl"

    def __init__(self, ctx: GlesContext):
        self.ctx = ctx

    def make_output(self, rig: Rig, profile: PanelProfile) -> PanelOutput:
        from .gl.gl_output import GlPanelOutput
        return GlPanelOutput(make_output(rig, profile), self.ctx)


class RecordingBackend:
    """Test double: numpy outputs, and the profiles it was asked for."""

    def __init__(self, name: str = "recording"):
        self.name = name
        self.asked: list[str] = []

    def make_output(self, rig: Rig, profile: PanelProfile) -> PanelOutput:
        self.asked.append(profile.name)
        return make_output(rig, profile)


def choose_panel_backend(setting: str, profile: PanelProfile | None,
                         open_context: Callable[[], GlesContext] = open_gles_context) -> PanelBackend:
    """The backend for this run, chosen once and logged."""
    if setting not in PANEL_BACKENDS:
        raise ConfigError(f"--panel-backend {setting!r}: expected one of {', '.join(PANEL_BACKENDS)}")
    if setting == "numpy":
        _LOGGER.info("panel backend numpy (asked for)")
        return NumpyBackend()
    if setting == "auto" and (profile is None or profile.format == "flat"):
        _LOGGER.info("panel backend numpy: a flat panel is drawn directly, nothing to compose")
        return NumpyBackend()
    try:
        ctx = open_context()
    except GlUnavailable as err:
        if setting == "gl":
            raise ConfigError(f"--panel-backend gl: {err}") from err
        _LOGGER.warning("panel backend numpy: %s", err)
        return NumpyBackend()
    if setting == "auto" and any(name in ctx.renderer.lower() for name in SOFTWARE_RENDERERS):
        _LOGGER.info("panel backend numpy: the only OpenGL ES renderer here is %s, a software one "
                     "(--panel-backend gl to use it anyway)", ctx.renderer)
        ctx.release()
        return NumpyBackend()
    _LOGGER.info("panel backend gl: %s, %s (EGL %s)", ctx.renderer, ctx.version, ctx.platform)
    return GlBackend(ctx)
