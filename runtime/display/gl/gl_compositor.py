"""A `CompositionPlan` executed by an OpenGL ES 3.1 shader: views in, the panel image out.

The views live in one texture array (RGB8, one layer per view) and are updated only where a view
changed (`glTexSubImage3D` of its dirty rectangles). Each frame the shader recomposes only the
panel rectangles those changes reach (scissored), and only those are read back into the pygame
surface the display shows. Every lookup is a `texelFetch` at an integer pixel — the interleave's
view per sub-pixel and the native format's sample positions are integer textures made from the
same maps as the numpy path — so the two images agree to the bit (the tests allow 1 LSB).

Framebuffer rows are the image's rows from the top (row 0 = y 0), so nothing is flipped.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pygame

from .composition_plan import CompositionPlan
from .egl_context import GlesContext, GlUnavailable

_VERTEX = """#version 310 es
uniform vec2 u_size;
uniform vec4 u_rect;
void main() {
    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
    gl_Position = vec4((u_rect.xy + corner * u_rect.zw) / u_size * 2.0 - 1.0, 0.0, 1.0);
}
"""

_FRAGMENT = """#version 310 es
precision highp float;
precision highp int;
uniform highp sampler2DArray u_views;
uniform highp usampler2D u_map;      // interleave: the view of each sub-pixel (R, G, B)
uniform highp usampler2D u_sample;   // row 0: view column of each panel column; row 1: view row of each row
uniform highp usampler2D u_tone;     // 256 x 1 tone curve
uniform highp usampler2D u_mask;     // != 0: black
uniform int u_mode;                  // 0 placement, 1 interleave, 2 interleave sampled at a smaller view
uniform int u_layer;
uniform ivec2 u_origin;
uniform ivec3 u_mx;
uniform ivec3 u_my;
uniform bool u_use_tone;
uniform bool u_use_mask;
out vec4 o_colour;

float tone(float c) {
    return float(texelFetch(u_tone, ivec2(int(c * 255.0 + 0.5), 0), 0).r) / 255.0;
}

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    vec3 c;
    if (u_mode == 0) {
        ivec2 q = p - u_origin;
        ivec2 s = ivec2(u_mx.x * q.x + u_mx.y * q.y + u_mx.z, u_my.x * q.x + u_my.y * q.y + u_my.z);
        c = texelFetch(u_views, ivec3(s, u_layer), 0).rgb;
        if (u_use_tone) c = vec3(tone(c.r), tone(c.g), tone(c.b));
    } else {
        ivec3 v = ivec3(texelFetch(u_map, p, 0).rgb);
        ivec2 s = p;
        if (u_mode == 2) {
            s = ivec2(int(texelFetch(u_sample, ivec2(p.x, 0), 0).r), int(texelFetch(u_sample, ivec2(p.y, 1), 0).r));
        }
        c = vec3(texelFetch(u_views, ivec3(s, v.r), 0).r, texelFetch(u_views, ivec3(s, v.g), 0).g,
                 texelFetch(u_views, ivec3(s, v.b), 0).b);
    }
    if (u_use_mask && texelFetch(u_mask, p, 0).r != 0u) c = vec3(0.0);
    o_colour = vec4(c, 1.0);
}
"""

_UNITS = {"u_views": 0, "u_map": 1, "u_sample": 2, "u_tone": 3, "u_mask": 4}


def _rows(array: np.ndarray) -> np.ndarray:
    """A (W, H, ...) array (pygame's surfarray order) as contiguous rows from the top (H, W, ...)."""
    return np.ascontiguousarray(np.swapaxes(array, 0, 1))


class GlCompositor:
    """Composes one panel's views on the GPU; one per panel output, on the thread that made `ctx`."""

    def __init__(self, ctx: GlesContext, plan: CompositionPlan):
        from OpenGL import GLES3 as gl
        self.gl, self.ctx, self.plan = gl, ctx, plan
        limit = int(gl.glGetIntegerv(gl.GL_MAX_RENDERBUFFER_SIZE))
        if max(plan.size) > limit:
            raise GlUnavailable(f"panel image {plan.size[0]}x{plan.size[1]} exceeds this GPU's "
                                f"renderbuffer limit {limit}")
        self.program = self._program()
        self.textures = gl.glGenTextures(5)
        vw, vh = plan.view_size
        self._bind(0, gl.GL_TEXTURE_2D_ARRAY)
        gl.glTexStorage3D(gl.GL_TEXTURE_2D_ARRAY, 1, gl.GL_RGB8, vw, vh, plan.views)
        il = plan.interleave
        self._integer_texture(1, gl.GL_RGB8UI, gl.GL_RGB_INTEGER, gl.GL_UNSIGNED_BYTE,
                              _rows(il.view_map) if il is not None else np.zeros((1, 1, 3), np.uint8))
        sample = np.zeros((2, max(plan.size)), np.uint16)
        if il is not None and il.sample_x is not None:
            sample[0, :plan.size[0]], sample[1, :plan.size[1]] = il.sample_x, il.sample_y
        self._integer_texture(2, gl.GL_R16UI, gl.GL_RED_INTEGER, gl.GL_UNSIGNED_SHORT, sample)
        tone = plan.tone if plan.tone is not None else np.arange(256, dtype=np.uint8)
        self._integer_texture(3, gl.GL_R8UI, gl.GL_RED_INTEGER, gl.GL_UNSIGNED_BYTE, tone[None, :])
        mask = plan.mask if plan.mask is not None else np.zeros((1, 1), bool)
        self._integer_texture(4, gl.GL_R8UI, gl.GL_RED_INTEGER, gl.GL_UNSIGNED_BYTE, _rows(mask.astype(np.uint8)))
        self.fbo, self.rbo = gl.glGenFramebuffers(1), gl.glGenRenderbuffers(1)
        gl.glBindRenderbuffer(gl.GL_RENDERBUFFER, self.rbo)
        gl.glRenderbufferStorage(gl.GL_RENDERBUFFER, gl.GL_RGBA8, *plan.size)
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, self.fbo)
        gl.glFramebufferRenderbuffer(gl.GL_FRAMEBUFFER, gl.GL_COLOR_ATTACHMENT0, gl.GL_RENDERBUFFER, self.rbo)
        if gl.glCheckFramebufferStatus(gl.GL_FRAMEBUFFER) != gl.GL_FRAMEBUFFER_COMPLETE:
            raise GlUnavailable(f"framebuffer {plan.size[0]}x{plan.size[1]} RGBA8 is not complete here")
        self.vao = gl.glGenVertexArrays(1)
        self.out = pygame.Surface(plan.size)
        self._read = np.zeros(plan.size[0] * plan.size[1] * 4, np.uint8)
        self.uploaded_bytes = 0      # into the view textures, since start (bench: the board's bus traffic)
        self.read_pixels = 0         # panel pixels brought back to the CPU, since start

    def _program(self):
        gl = self.gl
        program = gl.glCreateProgram()
        for kind, source in ((gl.GL_VERTEX_SHADER, _VERTEX), (gl.GL_FRAGMENT_SHADER, _FRAGMENT)):
            shader = gl.glCreateShader(kind)
            gl.glShaderSource(shader, source)
            gl.glCompileShader(shader)
            if not gl.glGetShaderiv(shader, gl.GL_COMPILE_STATUS):
                raise GlUnavailable(f"panel shader did not compile: {gl.glGetShaderInfoLog(shader)!r}")
            gl.glAttachShader(program, shader)
        gl.glLinkProgram(program)
        if not gl.glGetProgramiv(program, gl.GL_LINK_STATUS):
            raise GlUnavailable(f"panel shader did not link: {gl.glGetProgramInfoLog(program)!r}")
        gl.glUseProgram(program)
        for name, unit in _UNITS.items():
            gl.glUniform1i(gl.glGetUniformLocation(program, name), unit)
        self._uniforms = {name: gl.glGetUniformLocation(program, name) for name in
                          ("u_size", "u_rect", "u_mode", "u_layer", "u_origin", "u_mx", "u_my",
                           "u_use_tone", "u_use_mask")}
        return program

    def _bind(self, unit: int, target) -> None:
        gl = self.gl
        gl.glActiveTexture(gl.GL_TEXTURE0 + unit)
        gl.glBindTexture(target, self.textures[unit])
        for param in (gl.GL_TEXTURE_MIN_FILTER, gl.GL_TEXTURE_MAG_FILTER):
            gl.glTexParameteri(target, param, gl.GL_NEAREST)

    def _integer_texture(self, unit: int, internal, fmt, kind, rows: np.ndarray) -> None:
        gl = self.gl
        self._bind(unit, gl.GL_TEXTURE_2D)
        gl.glPixelStorei(gl.GL_UNPACK_ALIGNMENT, 1)
        rows = np.ascontiguousarray(rows)
        gl.glTexImage2D(gl.GL_TEXTURE_2D, 0, internal, rows.shape[1], rows.shape[0], 0, fmt, kind, rows)

    def upload(self, views: list[pygame.Surface], dirty: list[list[pygame.Rect]] | None) -> None:
        """Copy the views (only their dirty rectangles when given) into the texture array."""
        gl = self.gl
        gl.glActiveTexture(gl.GL_TEXTURE0)
        gl.glBindTexture(gl.GL_TEXTURE_2D_ARRAY, self.textures[0])
        gl.glPixelStorei(gl.GL_UNPACK_ALIGNMENT, 1)
        whole = pygame.Rect(0, 0, *self.plan.view_size)
        for k, view in enumerate(views):
            rects = [whole] if dirty is None else [r.clip(whole) for r in dirty[k]]
            for r in rects:
                if r.width and r.height:
                    data = pygame.image.tobytes(view.subsurface(r) if r != whole else view, "RGB")
                    gl.glTexSubImage3D(gl.GL_TEXTURE_2D_ARRAY, 0, r.x, r.y, k, r.width, r.height, 1,
                                       gl.GL_RGB, gl.GL_UNSIGNED_BYTE, data)
                    self.uploaded_bytes += len(data)

    def draw(self, areas: list[pygame.Rect]) -> pygame.Surface:
        """Recompose the panel image inside `areas` and bring those pixels back into `self.out`."""
        gl, u, plan = self.gl, self._uniforms, self.plan
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, self.fbo)
        gl.glViewport(0, 0, *plan.size)
        gl.glUseProgram(self.program)
        gl.glBindVertexArray(self.vao)
        for unit in range(5):
            gl.glActiveTexture(gl.GL_TEXTURE0 + unit)
            gl.glBindTexture(gl.GL_TEXTURE_2D_ARRAY if unit == 0 else gl.GL_TEXTURE_2D, self.textures[unit])
        gl.glUniform2f(u["u_size"], *map(float, plan.size))
        gl.glUniform1i(u["u_use_mask"], int(plan.mask is not None))
        gl.glEnable(gl.GL_SCISSOR_TEST)
        areas = [a for a in (a.clip(pygame.Rect(0, 0, *plan.size)) for a in areas) if a.width and a.height]
        gl.glClearColor(0.0, 0.0, 0.0, 1.0)
        for area in areas:              # every area drawn first: one wait for the GPU, not one per area
            gl.glScissor(area.x, area.y, area.width, area.height)
            gl.glClear(gl.GL_COLOR_BUFFER_BIT)
            self._draw_within(area)
        gl.glDisable(gl.GL_SCISSOR_TEST)
        gl.glPixelStorei(gl.GL_PACK_ALIGNMENT, 1)
        panel = pygame.surfarray.pixels3d(self.out)
        for area in areas:
            pixels = self._read[:area.width * area.height * 4]
            gl.glReadPixels(area.x, area.y, area.width, area.height, gl.GL_RGBA, gl.GL_UNSIGNED_BYTE,
                            pixels.ctypes.data_as(ctypes.c_void_p))
            self.read_pixels += area.width * area.height
            rows = pixels.reshape(area.height, area.width, 4)
            panel[area.left:area.right, area.top:area.bottom] = np.swapaxes(rows[:, :, :3], 0, 1)
        del panel
        return self.out

    def _draw_within(self, area: pygame.Rect) -> None:
        """Every placement that reaches `area` (the scissor clips them to it), or the interleave."""
        gl, u, plan = self.gl, self._uniforms, self.plan
        if plan.interleave is not None:
            gl.glUniform1i(u["u_mode"], 2 if plan.interleave.sample_x is not None else 1)
            gl.glUniform1i(u["u_use_tone"], 0)
            gl.glUniform4f(u["u_rect"], 0.0, 0.0, *map(float, plan.size))
            gl.glDrawArrays(gl.GL_TRIANGLE_STRIP, 0, 4)
            return
        gl.glUniform1i(u["u_mode"], 0)
        gl.glUniform1i(u["u_use_tone"], int(plan.tone is not None))
        for p in plan.placements:
            if not area.colliderect(p.rect):
                continue
            gl.glUniform1i(u["u_layer"], p.view)
            gl.glUniform2i(u["u_origin"], *p.origin)
            gl.glUniform3i(u["u_mx"], *p.transform[0])
            gl.glUniform3i(u["u_my"], *p.transform[1])
            gl.glUniform4f(u["u_rect"], *map(float, p.rect))
            gl.glDrawArrays(gl.GL_TRIANGLE_STRIP, 0, 4)

    def release(self) -> None:
        gl = self.gl
        gl.glDeleteTextures(5, self.textures)
        gl.glDeleteFramebuffers(1, [self.fbo])
        gl.glDeleteRenderbuffers(1, [self.rbo])
        gl.glDeleteProgram(self.program)
