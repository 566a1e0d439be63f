"""Display: the panel's resolution, and the talking avatar's render rate at it."""

from __future__ import annotations

import os
import time

import pytest

from runtime.avatar.rig_animator import AvatarMode, Inputs, RigAnimator
from runtime.display.avatar_view import open_rig
from runtime.display.panel_profile import load_profile
from runtime.display.renderer.rig_renderer import RigRenderer

VISEMES = ("aa", "E", "PP", "oh", "SS", "ih", "sil")


@pytest.fixture(scope="module")
def panel_profile(pytestconfig):
    return load_profile(pytestconfig.getoption("--panel"))


@pytest.mark.display
def test_screen_resolution_matches_the_panel(panel_profile, simulate):
    if simulate or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        pytest.skip("no screen attached (no DISPLAY/WAYLAND_DISPLAY)")
    import pygame
    pygame.display.init()
    info = pygame.display.Info()
    assert (info.current_w, info.current_h) in ((panel_profile.width, panel_profile.height),
                                                (panel_profile.height, panel_profile.width))


@pytest.mark.display
def test_screen_refresh_keeps_up_with_the_panel(panel_profile, simulate, measure):
    if simulate or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        pytest.skip("no screen attached (no DISPLAY/WAYLAND_DISPLAY)")
    from hw_tests.refresh_rate import current_refresh
    mode = current_refresh()
    if mode is None:
        pytest.skip("refresh rate unknown (no xrandr answer: Wayland or no X server)")
    width, height, hz = mode
    measure(f"screen refresh at {width}x{height}", hz, "Hz", None)
    assert hz + 0.5 >= panel_profile.fps_cap, f"{width}x{height} at {hz} Hz cannot show {panel_profile.fps_cap} fps"


@pytest.mark.display
def test_talking_avatar_render_rate(panel_profile, measure):
    rig = open_rig(None, panel_profile.height)
    renderer = RigRenderer(rig, panel_profile.width, panel_profile.height)
    animator = RigAnimator(rig, seed=1)
    frames, start = 0, time.perf_counter()
    while time.perf_counter() - start < 2.0:
        pose = animator.step(1 / 60, Inputs(AvatarMode.SPEAKING, VISEMES[frames // 4 % len(VISEMES)]))
        renderer.draw(pose)
        frames += 1
    fps = frames / (time.perf_counter() - start)
    measure(f"render rate at {panel_profile.width}x{panel_profile.height}", fps, "fps", "render_fps_min")


@pytest.mark.display
def test_the_avatar_looks_right_on_the_panel(ask_tester):
    assert ask_tester("Is the avatar on the panel sharp, upright, and (on a 3D panel) does it look 3D?")


@pytest.mark.display
def test_gl_panel_path_on_the_board(panel_profile, measure):
    """On the board's GPU: the GL panel image equals the numpy one, and its render rate and CPU per
    frame (the figures docs/panels.md projects from the development machine)."""
    import numpy as np
    import pygame

    from runtime.display.gl.egl_context import GlUnavailable, open_gles_context
    from runtime.display.gl.gl_output import GlPanelOutput
    from runtime.display.outputs.panel_outputs import make_output
    from runtime.display.outputs.view_geometry import view_size
    from runtime.display.panel_backend import SOFTWARE_RENDERERS

    if panel_profile.format == "flat":
        pytest.skip("a flat panel is drawn directly: nothing to compose")
    try:
        ctx = open_gles_context()
    except GlUnavailable as err:
        pytest.skip(f"no OpenGL ES 3.1 context on this board: {err}")
    if any(name in ctx.renderer.lower() for name in SOFTWARE_RENDERERS):
        ctx.release()
        pytest.skip(f"only a software renderer here ({ctx.renderer}): no GPU to measure")
    rig = open_rig(None, view_size(panel_profile)[1])
    reference, gl = make_output(rig, panel_profile), GlPanelOutput(make_output(rig, panel_profile), ctx)
    animators = RigAnimator(rig, seed=1), RigAnimator(rig, seed=1)
    try:
        for i in range(4):
            inputs = Inputs(AvatarMode.SPEAKING, VISEMES[i % len(VISEMES)])
            expected = pygame.surfarray.array3d(reference.render(animators[0].step(1 / 30, inputs))).astype(np.int16)
            got = pygame.surfarray.array3d(gl.render(animators[1].step(1 / 30, inputs))).astype(np.int16)
            assert int(np.abs(expected - got).max()) <= 1, f"GL image differs from numpy on {ctx.renderer}"
        frames, start, cpu = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - start < 2.0:
            gl.render(animators[1].step(1 / 60, Inputs(AvatarMode.SPEAKING, VISEMES[frames // 4 % len(VISEMES)])))
            frames += 1
        measure(f"GL panel render rate ({panel_profile.name}, {ctx.renderer})",
                frames / (time.perf_counter() - start), "fps")
        measure("GL panel CPU per frame", (time.process_time() - cpu) * 1000 / frames, "ms")
    finally:
        gl.release()
        ctx.release()
