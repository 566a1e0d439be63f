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
