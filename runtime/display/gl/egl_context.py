"""An OpenGL ES 3.1 context without a window (EGL, surfaceless): the I/O edge of the GL path.

The panel image is drawn into an off-screen framebuffer, so no window system is needed: Mesa's
surfaceless platform (EGL_MESA_platform_surfaceless) works on a Raspberry Pi's V3D driver and,
in CI, on llvmpipe (the software rasteriser); the default display is tried after it (a Jetson's
NVIDIA EGL). PyOpenGL is pure Python over the system's libEGL / libGLESv2, so nothing is built
for the board. Any failure is a `GlUnavailable` naming the step and the EGL error.
"""

from __future__ import annotations

import ctypes
import logging
import os
from dataclasses import dataclass

from runtime.shared.errors import DisplayError

_LOGGER = logging.getLogger(__name__)
EGL_PLATFORM_SURFACELESS_MESA = 0x31DD
EGL_OPENGL_ES3_BIT = 0x40


class GlUnavailable(DisplayError):
    """No OpenGL ES 3.1 context could be made here (library, display, config or context)."""


@dataclass
class GlesContext:
    display: object
    context: object
    renderer: str
    version: str
    platform: str

    def make_current(self) -> None:
        from OpenGL import EGL
        if not EGL.eglMakeCurrent(self.display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, self.context):
            raise GlUnavailable(f"eglMakeCurrent failed (error 0x{EGL.eglGetError():x})")

    def release(self) -> None:
        from OpenGL import EGL
        EGL.eglMakeCurrent(self.display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, EGL.EGL_NO_CONTEXT)
        EGL.eglDestroyContext(self.display, self.context)


def _displays(EGL):
    """Candidate EGL displays, surfaceless first."""
    try:
        from OpenGL.EGL.EXT.platform_base import eglGetPlatformDisplayEXT
        display = eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA, EGL.EGL_DEFAULT_DISPLAY, None)
        if display:
            yield "surfaceless", display
    except Exception as err:   # noqa: BLE001 - the extension is optional; the default display is next
        _LOGGER.debug("EGL surfaceless platform unavailable: %s", err)
    yield "default", EGL.eglGetDisplay(EGL.EGL_DEFAULT_DISPLAY)


def _initialise(EGL, display) -> bool:
    major, minor = EGL.EGLint(), EGL.EGLint()
    try:
        return bool(display) and bool(EGL.eglInitialize(display, ctypes.pointer(major), ctypes.pointer(minor)))
    except Exception:   # noqa: BLE001 - PyOpenGL raises EGLError for EGL_NOT_INITIALIZED: try the next display
        return False


def open_gles_context() -> GlesContext:
    """An OpenGL ES 3.1 context made current on this thread, or GlUnavailable saying why not."""
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")      # PyOpenGL reads it at its first import
    try:
        from OpenGL import EGL
        from OpenGL import GLES3 as gl
    except Exception as err:   # ImportError, or a missing libEGL / libGLESv2: said, never silent
        raise GlUnavailable(f"PyOpenGL with EGL could not be loaded: {type(err).__name__}: {err}") from err
    tried = []
    for platform, display in _displays(EGL):
        if not _initialise(EGL, display):
            tried.append(f"{platform}: eglInitialize failed")
            continue
        config, count = EGL.EGLConfig(), EGL.EGLint()
        attrs = (EGL.EGLint * 5)(EGL.EGL_RENDERABLE_TYPE, EGL_OPENGL_ES3_BIT, EGL.EGL_SURFACE_TYPE,
                                 EGL.EGL_PBUFFER_BIT, EGL.EGL_NONE)
        if not EGL.eglChooseConfig(display, attrs, ctypes.pointer(config), 1, ctypes.pointer(count)) \
                or count.value < 1:
            tried.append(f"{platform}: no OpenGL ES 3 config")
            continue
        EGL.eglBindAPI(EGL.EGL_OPENGL_ES_API)
        ctx_attrs = (EGL.EGLint * 5)(EGL.EGL_CONTEXT_MAJOR_VERSION, 3, EGL.EGL_CONTEXT_MINOR_VERSION, 1,
                                     EGL.EGL_NONE)
        try:
            context = EGL.eglCreateContext(display, config, EGL.EGL_NO_CONTEXT, ctx_attrs)
        except Exception as err:   # noqa: BLE001 - EGLError: this display cannot; say so and try the next
            tried.append(f"{platform}: no OpenGL ES 3.1 context ({err.__class__.__name__})")
            continue
        if not context:
            tried.append(f"{platform}: no OpenGL ES 3.1 context")
            continue
        ctx = GlesContext(display, context, "", "", platform)
        ctx.make_current()
        ctx.renderer = ctypes.string_at(gl.glGetString(gl.GL_RENDERER)).decode(errors="replace")
        ctx.version = ctypes.string_at(gl.glGetString(gl.GL_VERSION)).decode(errors="replace")
        return ctx
    raise GlUnavailable("no OpenGL ES 3.1 context over EGL (" + "; ".join(tried) + ")")
