"""The GL panel path: its image equals the numpy reference on every shipped profile (and on
rotations, tone curves, layouts and calibrations no shipped profile uses), over talking frames
where only dirty rectangles are recomposed; the backend is chosen once, with a logged reason.

Runs on Mesa's llvmpipe through EGL surfaceless (scripts/setup.sh installs libegl-mesa0,
libgles2, libgl1-mesa-dri); a machine without an OpenGL ES 3.1 context fails here, it does
not skip.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pygame
import pytest

from runtime.avatar.rig_animator import AvatarMode, Inputs, RigAnimator
from runtime.display.avatar_view import AvatarView, open_rig
from runtime.display.gl.composition_plan import chain, flip_y, mirror_x, plan_for, rotate
from runtime.display.gl.egl_context import GlUnavailable, open_gles_context
from runtime.display.gl.gl_compositor import GlCompositor
from runtime.display.gl.gl_output import GlPanelOutput
from runtime.display.outputs.panel_outputs import make_output
from runtime.display.outputs.view_geometry import view_size
from runtime.display.outputs.test_pattern import view_pattern
from runtime.display.panel_backend import GlBackend, NumpyBackend, RecordingBackend, choose_panel_backend
from runtime.display.panel_profile import PanelProfile, list_profiles, load_profile
from runtime.display.renderer.display import HeadlessDisplay
from runtime.shared.errors import ConfigError

SPEECH = ("sil", "aa", "oh", "E", "PP", "ou", "FF")


@pytest.fixture(scope="module")
def ctx():
    context = open_gles_context()
    yield context
    context.release()


def _profile(fmt: str, width: int, height: int, rotation: int = 0, **calibration) -> PanelProfile:
    return PanelProfile(f"{fmt}-{rotation}", "", width, height, rotation, fmt, 30.0, 100, calibration)


def _pixels(surface: pygame.Surface) -> np.ndarray:
    return pygame.surfarray.array3d(surface).astype(np.int16)


def _assert_same(numpy_image: pygame.Surface, gl_image: pygame.Surface, what: str) -> None:
    a, b = _pixels(numpy_image), _pixels(gl_image)
    assert a.shape == b.shape, f"{what}: sizes differ"
    worst = int(np.abs(a - b).max())
    off = int((np.abs(a - b).max(axis=2) > 1).sum())
    assert worst <= 1, f"{what}: {off} pixels differ by more than 1 LSB (worst {worst})"


def _talk(profile: PanelProfile, ctx, frames: int) -> None:
    """The same talking frames through a numpy output and a GL output of two identical rigs."""
    rig = open_rig(None, view_size(profile)[1])
    reference, gl = make_output(rig, profile), GlPanelOutput(make_output(rig, profile), ctx)
    animators = RigAnimator(rig, seed=3), RigAnimator(rig, seed=3)
    try:
        for i in range(frames):
            inputs = Inputs(AvatarMode.SPEAKING, SPEECH[i % len(SPEECH)])
            expected = _pixels(reference.render(animators[0].step(1 / 30, inputs)))
            got = gl.render(animators[1].step(1 / 30, inputs))
            _assert_same(pygame.surfarray.make_surface(expected.astype(np.uint8)), got,
                         f"{profile.name} frame {i}")
    finally:
        gl.release()


@pytest.mark.parametrize("name", list_profiles())
def test_gl_image_equals_numpy_on_every_shipped_profile(name, ctx):
    """First frame whole, then frames where only the views' dirty rectangles are recomposed."""
    _talk(load_profile(name), ctx, frames=4)


@pytest.mark.parametrize("name", list_profiles())
def test_gl_composes_the_calibration_pattern_like_numpy(name, ctx):
    """View numbers, grid and depth ramp: every view differs, so a wrong view or tile shows."""
    profile = load_profile(name)
    rig = open_rig(None, 256)
    reference = make_output(rig, profile)
    views = [view_pattern(k, reference.views, reference.view_size) for k in range(reference.views)]
    expected = _pixels(reference.compose([v.copy() for v in views]))
    gl = GlPanelOutput(make_output(rig, profile), ctx)
    try:
        _assert_same(pygame.surfarray.make_surface(expected.astype(np.uint8)), gl.compose(views), name)
    finally:
        gl.release()


@pytest.mark.parametrize("profile", [
    _profile("flat", 300, 200, rotation=90), _profile("flat", 300, 200, rotation=180),
    _profile("flat", 300, 200, rotation=270),
    _profile("peppers-ghost", 300, 200, gamma=2.2, brightness=0.8),
    _profile("pyramid", 301, 257, gamma=0.7, mirror=False),
    _profile("stereo-tb", 300, 200), _profile("stereo-sbs", 300, 200, half=False),
    _profile("lenticular", 300, 200, views=5, pitch=50.0, slope=-5.0, dpi=300.0, flip=True, center=0.3),
    _profile("quilt", 310, 170, columns=3, rows=2, quilt_size=[600, 400], output="native",
             pitch=40.0, slope=6.0, dpi=200.0),
], ids=lambda p: p.name + "-" + "-".join(f"{k}" for k in p.calibration))
def test_gl_image_equals_numpy_beyond_the_shipped_profiles(profile, ctx):
    _talk(profile, ctx, frames=3)


def test_a_wrong_plan_is_caught(ctx):
    """The comparison is not vacuous: the Pepper's ghost plan without its mirror differs."""
    profile = load_profile("peppers-ghost-box")
    rig = open_rig(None, view_size(profile)[1])
    reference = make_output(rig, profile)
    views = reference.draw_views(RigAnimator(rig, seed=1).step(1 / 30, Inputs(AvatarMode.SPEAKING, "aa")))
    plan = plan_for(reference)
    unmirrored = replace(plan, placements=(replace(plan.placements[0], transform=((1, 0, 0), (0, 1, 0))),))
    compositor = GlCompositor(ctx, unmirrored)
    try:
        compositor.upload(views, None)
        got = _pixels(compositor.draw(unmirrored.dirty_areas(None)))
    finally:
        compositor.release()
    assert np.abs(_pixels(reference.compose(views)) - got).max() > 1


@pytest.mark.parametrize("ops", ["mirror", "flip", "rot90", "rot180", "rot270", "mirror-flip-rot90"])
def test_plan_transforms_match_pygame(ops):
    """The integer maps are pygame's own flips and quarter turns (pure: no GL)."""
    rng = np.random.default_rng(7)
    w, h = 7, 5
    source = pygame.surfarray.make_surface(rng.integers(0, 255, (w, h, 3), dtype=np.uint8))
    steps = {"mirror": [("mirror",)], "flip": [("flip",)], "rot90": [("rot", 90)], "rot180": [("rot", 180)],
             "rot270": [("rot", 270)], "mirror-flip-rot90": [("mirror",), ("flip",), ("rot", 90)]}[ops]
    image, maps = source, []
    for step in steps:
        iw, ih = image.get_size()
        if step[0] == "mirror":
            image, m = pygame.transform.flip(image, True, False), mirror_x(iw)
        elif step[0] == "flip":
            image, m = pygame.transform.flip(image, False, True), flip_y(ih)
        else:
            image, m = pygame.transform.rotate(image, step[1]), rotate(step[1], iw, ih)
        maps.append(m)
    total, src, out = chain(*maps), pygame.surfarray.array3d(source), pygame.surfarray.array3d(image)
    for u in range(out.shape[0]):
        for v in range(out.shape[1]):
            x, y, _ = total @ np.array([u, v, 1])
            assert (out[u, v] == src[x, y]).all(), (u, v)


def _no_context():
    raise AssertionError("no GL context may be opened here")


def _failing_context():
    raise GlUnavailable("no OpenGL ES 3.1 context over EGL (surfaceless: eglInitialize failed)")


def test_numpy_backend_when_asked_or_flat_opens_no_context():
    lenticular, flat = load_profile("lenticular-8view-1080x1920"), load_profile("portrait-1080x1920")
    assert isinstance(choose_panel_backend("numpy", lenticular, _no_context), NumpyBackend)
    assert isinstance(choose_panel_backend("auto", flat, _no_context), NumpyBackend)


def test_auto_falls_back_to_numpy_and_says_why(caplog):
    with caplog.at_level(logging.INFO, logger="runtime.display.panel_backend"):
        backend = choose_panel_backend("auto", load_profile("lenticular-8view-1080x1920"), _failing_context)
    assert backend.name == "numpy"
    assert "panel backend numpy: no OpenGL ES 3.1 context" in caplog.text


def test_gl_asked_for_without_a_context_is_refused():
    with pytest.raises(ConfigError, match="--panel-backend gl: no OpenGL ES 3.1 context"):
        choose_panel_backend("gl", load_profile("lenticular-8view-1080x1920"), _failing_context)
    with pytest.raises(ConfigError, match="expected one of auto, gl, numpy"):
        choose_panel_backend("vulkan", None, _no_context)


class _BoardContext:
    """A context as a board's GPU driver would describe it (no GL call is made on it here)."""
    renderer, version, platform = "V3D 7.1", "OpenGL ES 3.1 Mesa 23.2.1", "surfaceless"

    def release(self):
        raise AssertionError("a hardware context is kept")


def test_auto_chooses_gl_on_a_gpu_and_logs_the_renderer(caplog):
    with caplog.at_level(logging.INFO, logger="runtime.display.panel_backend"):
        backend = choose_panel_backend("auto", load_profile("looking-glass-portrait-native"), _BoardContext)
    assert isinstance(backend, GlBackend)
    assert "panel backend gl: V3D 7.1, OpenGL ES 3.1" in caplog.text


def test_auto_leaves_a_software_renderer_alone_but_gl_uses_it(caplog):
    """Here the only renderer is llvmpipe: auto composes with numpy and says why; gl takes it."""
    with caplog.at_level(logging.INFO, logger="runtime.display.panel_backend"):
        backend = choose_panel_backend("auto", load_profile("looking-glass-portrait-native"))
    assert backend.name == "numpy" and "a software one" in caplog.text
    forced = choose_panel_backend("gl", load_profile("looking-glass-portrait-native"))
    try:
        assert isinstance(forced, GlBackend) and "llvmpipe" in forced.ctx.renderer
    finally:
        forced.ctx.release()


def test_the_avatar_view_renders_through_the_backend_it_was_given():
    backend = RecordingBackend()
    profile = load_profile("stereo-sbs-1920x1080")
    view = AvatarView(HeadlessDisplay(192, 108), panel=profile, panel_backend=backend)
    assert backend.asked == ["stereo-sbs-1920x1080"] and view.output.name == "stereo-sbs-half"


def test_a_settings_file_chooses_the_panel_backend(tmp_path):
    from runtime.composition.config import KioskConfig
    from runtime.composition.settings_file import load_settings
    settings = tmp_path / "settings.yaml"
    settings.write_text("panel: lenticular-8view-1080x1920\npanel_backend: numpy\n", encoding="utf-8")
    cfg = load_settings(settings, KioskConfig())
    assert (cfg.panel, cfg.panel_backend) == ("lenticular-8view-1080x1920", "numpy")
