"""Panel formats: interleave, quilt order, mirror and pyramid, fan mask, depth, views, profiles."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pygame
import pytest

from runtime.avatar.rig_animator import AvatarMode, Inputs, RigAnimator
from runtime.display.avatar_view import open_rig
from runtime.display.outputs.interleave import LenticularCalibration, view_map
from runtime.display.outputs.panel_outputs import make_output
from runtime.display.panel_profile import PanelProfile, list_profiles, load_profile
from runtime.shared.errors import ConfigError

CLI = [sys.executable, "-m", "runtime"]


def _profile(fmt: str, width: int, height: int, **calibration) -> PanelProfile:
    return PanelProfile("test", "", width, height, 0, fmt, 30.0, 100, calibration)


def _solid(colour, size) -> pygame.Surface:
    s = pygame.Surface(size)
    s.fill(colour)
    return s


@pytest.fixture(scope="module")
def rig():
    return open_rig(None, 256)


def reference_view(cal: LenticularCalibration, width: int, height: int, px: int, py: int, sub: int) -> int:
    """The published formula, written out by hand, one sub-pixel at a time."""
    tilt = -height / (width * cal.slope)
    pitch = cal.pitch * width / cal.dpi * math.cos(math.atan(1 / cal.slope))
    subp = pitch / (3 * width)
    x = (px + 0.5) / width
    y = 1 - (py + 0.5) / height
    a = (x + y * tilt) * pitch - cal.center + sub * subp
    view = min(int((a - math.floor(a)) * cal.views), cal.views - 1)
    return cal.views - 1 - view if cal.flip else view


@pytest.mark.parametrize("flip", [False, True])
def test_lenticular_interleave_matches_the_formula(flip):
    cal = LenticularCalibration(8, 354.4, -5.2, 0.13, 324.0, flip)
    width, height = 48, 36
    index = view_map(cal, width, height)
    for px in range(width):
        for py in range(height):
            for sub in range(3):
                assert index[px, py, sub] == reference_view(cal, width, height, px, py, sub), (px, py, sub)
    assert set(np.unique(index)) == set(range(8))


def test_lenticular_output_takes_each_subpixel_from_its_view(rig):
    profile = _profile("lenticular", 64, 48, views=4, pitch=50.0, slope=-5.0, dpi=300.0, center=0.0)
    out = make_output(rig, profile)
    views = [_solid((10 * k, 20 * k, 40 * k), out.view_size) for k in range(4)]
    image = pygame.surfarray.array3d(out.compose(views))
    index = view_map(LenticularCalibration.from_dict(profile.calibration), 64, 48)
    expected = np.array([[10, 20, 40]])[0][None, None, :] * index
    assert (image == expected).all()


def test_quilt_tile_zero_is_bottom_left_and_the_last_top_right(rig):
    profile = _profile("quilt", 100, 100, columns=4, rows=3, quilt_size=[400, 300])
    out = make_output(rig, profile)
    assert out.views == 12 and out.view_size == (100, 100)
    views = [_solid((20 * k, 0, 0), out.view_size) for k in range(12)]
    image = out.compose(views)
    assert image.get_at((50, 250))[:3] == (0, 0, 0)            # bottom-left: view 0
    assert image.get_at((350, 250))[:3] == (60, 0, 0)          # bottom-right: view 3
    assert image.get_at((50, 150))[:3] == (80, 0, 0)           # second row from the bottom starts at view 4
    assert image.get_at((350, 50))[:3] == (220, 0, 0)          # top-right: view 11, the rightmost


def _half_red(size):
    view = _solid((0, 0, 0), size)
    view.fill((255, 0, 0), (0, 0, size[0] // 2, size[1]))       # left half red
    view.fill((0, 0, 255), (0, 0, size[0], size[1] // 4))       # top quarter blue ("up")
    return view


def test_peppers_ghost_is_mirrored_on_black(rig):
    out = make_output(rig, _profile("peppers-ghost", 200, 100))
    image = out.compose([_half_red(out.view_size)])
    assert image.get_at((150, 80))[:3] == (255, 0, 0) and image.get_at((50, 80))[:3] == (0, 0, 0)


def test_pyramid_has_four_copies_turned_around_the_centre(rig):
    out = make_output(rig, _profile("pyramid", 400, 400))
    image = out.compose([_half_red(out.view_size)])
    c, d = 200, out.gap + out.view_size[1] // 2          # centre, and how far each copy's centre is from it
    # the bottom copy: mirrored (red on the right) with its head ("up", blue) at the outer edge: the
    # pyramid's face reflects the screen's outer part highest, so the avatar stands on the tip
    bottom = [image.get_at((c + dx, c + d + dy))[:3] for dx, dy in ((20, -10), (-20, -10))]
    assert bottom == [(255, 0, 0), (0, 0, 0)]
    assert image.get_at((c, c + d + out.view_size[1] // 2 - 3))[:3] == (0, 0, 255)
    arr, half = pygame.surfarray.array3d(image), out.view_size[0] // 2
    for x, y in ((c + d, c), (c, c - d), (c - d, c)):      # right, top, left copies exist
        tile = arr[x - half:x + half, y - half:y + half]
        assert (tile.max(axis=2) > 0).mean() > 0.3
    assert arr[c + d + half - 3, c, 2] == 255 and arr[c, c - d - half + 3, 2] == 255   # heads outward
    assert image.get_at((c, c))[:3] == (0, 0, 0)           # the centre stays empty (the pyramid's tip)


def test_led_fan_is_square_and_masked_to_a_circle(rig):
    out = make_output(rig, _profile("led-fan", 300, 300))
    image = out.compose([_solid((200, 200, 200), out.view_size)])
    assert image.get_size() == (300, 300)
    for corner in ((2, 2), (297, 2), (2, 297), (297, 297)):
        assert image.get_at(corner)[:3] == (0, 0, 0)
    assert image.get_at((150, 150))[:3] == (200, 200, 200) and image.get_at((150, 5))[:3] == (200, 200, 200)


def test_depth_map_puts_near_layers_brighter(rig):
    out = make_output(rig, _profile("depth", 512, 480))
    animator = RigAnimator(rig, 0)
    image = out.render(animator.step(1 / 60, Inputs()))
    depth = out.depth
    greys = {p.id: depth.depth_grey(p.z) for p in rig.parts}
    assert greys["hair_back"] < greys["face"] < greys["hair_front"]
    arr = pygame.surfarray.array3d(image)
    half = out.view_size[0]
    face = depth.part_rect("face")
    cx, cy = face.centerx, face.centery
    assert abs(int(arr[half + cx, cy, 0]) - greys["face"]) <= 6    # the face at its depth's grey
    bang = depth.part_rect("hair_front")
    assert arr[half + bang.centerx, bang.top + 4, 0] > arr[half + cx, cy, 0]   # the bangs are nearer
    assert arr[half + 2, 2, 0] == 0                                 # far background is black
    assert arr[:half].mean() > 20                                   # the colour half holds the picture


def test_views_are_an_off_axis_shear(rig):
    profile = _profile("quilt", 256, 256, columns=3, rows=1, quilt_size=[768, 256], view_shift_px=-8.0)
    out = make_output(rig, profile)
    out.render(RigAnimator(rig, 0).step(1 / 60, Inputs()))
    canvases = out._views.canvases
    face = [c.part_rect("face").centerx for c in canvases]
    front = [c.part_rect("hair_front").centerx for c in canvases]
    back = [c.part_rect("hair_back").centerx for c in canvases]
    assert face[0] == face[1] == face[2]                            # on the focal plane: no shift
    assert front[0] > front[1] > front[2] and back[0] < back[1] < back[2]   # near and far move apart


def test_every_shipped_profile_renders_its_format(rig):
    for name in list_profiles():
        profile = load_profile(name)
        out = make_output(rig, replace(profile, width=max(64, profile.width // 8),
                                       height=max(64, profile.height // 8),
                                       calibration={**profile.calibration, **(
                                           {"quilt_size": [q // 8 for q in profile.calibration["quilt_size"]]}
                                           if "quilt_size" in profile.calibration else {})}))
        image = out.render(RigAnimator(rig, 0).step(1 / 60, Inputs(AvatarMode.SPEAKING, "aa")))
        assert image.get_size() == out.size and pygame.surfarray.array3d(image).max() > 100, name


def test_profile_calibration_errors_name_the_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(textwrap.dedent("""\
        name: bad
        resolution: [1080, 1920]
        format: lenticular
        calibration: {views: 8, pitch: 354.4, dpi: 324}
        """))
    with pytest.raises(ConfigError, match=r"bad.yaml:4: calibration.slope: expected a non-zero number"):
        load_profile(str(bad))
    bad.write_text("name: q\nresolution: [100, 100]\nformat: quilt\ncalibration: {columns: 8, rows: 0}\n")
    with pytest.raises(ConfigError, match="calibration.rows: expected a whole number"):
        load_profile(str(bad))


def test_panel_test_pattern_and_bench_json(tmp_path):
    out = tmp_path / "lg.png"
    done = subprocess.run(CLI + ["panel", "test", "looking-glass-portrait", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    image = pygame.image.load(str(out))
    assert image.get_size() == (3360, 3360)
    bench = subprocess.run([sys.executable, "bench/render.py", "--seconds", "0.3", "--size", "270x480",
                            "--panels", "led-fan-1024,looking-glass-portrait", "--json", str(tmp_path / "r.json")],
                           capture_output=True, text=True, timeout=600)
    assert bench.returncode == 0, bench.stderr
    formats = json.loads((tmp_path / "r.json").read_text())["formats"]
    assert set(formats) == {"flat", "led-fan-1024", "looking-glass-portrait"}
    assert all(f["fps"] > 0 and f["cpu_ms_per_frame"] > 0 for f in formats.values())


def test_looking_glass_native_interleave_from_its_calibration_file(rig, tmp_path):
    (tmp_path / "visual.json").write_text(json.dumps({"pitch": {"value": 40.0}, "slope": {"value": -6.0},
                                                      "center": {"value": 0.3}, "DPI": {"value": 300.0},
                                                      "flipImageX": {"value": 0.0}}))
    profile = replace(_profile("quilt", 60, 80, columns=2, rows=2, quilt_size=[100, 100], output="native",
                               calibration_file="visual.json"), path=tmp_path / "panel.yaml")
    out = make_output(rig, profile)
    assert out.size == (60, 80) and out.views == 4
    views = [_solid((60 * k, 255 - 60 * k, 7), out.view_size) for k in range(4)]
    image = pygame.surfarray.array3d(out.compose(views))
    cal = LenticularCalibration(4, 40.0, -6.0, 0.3, 300.0, False)
    for px in range(0, 60, 7):
        for py in range(0, 80, 9):
            for sub in range(3):
                k = reference_view(cal, 60, 80, px, py, sub)
                assert image[px, py, sub] == (60 * k, 255 - 60 * k, 7)[sub], (px, py, sub)


def test_the_kiosk_view_renders_through_the_panel_profile(tmp_path):
    from runtime.display.avatar_view import AvatarView
    from runtime.display.renderer.display import HeadlessDisplay
    view = AvatarView(HeadlessDisplay(256, 256), tmp_path / "frames", frame_every_s=0.1,
                      panel=load_profile("led-fan-1024"))
    assert view.output is not None and view.output.name == "led-fan"
    view.advance(0.25, AvatarMode.SPEAKING, lambda t: "aa")
    frame = pygame.image.load(str(tmp_path / "frames" / view.saved[-1].file))
    assert frame.get_size() == (256, 256)
    assert frame.get_at((1, 1))[:3] == (0, 0, 0) and frame.get_at((128, 100))[:3] != (0, 0, 0)


@pytest.mark.parametrize("fmt, half, size, second_at", [
    ("stereo-sbs", True, (200, 100), (150, 50)),     # half: each eye squeezed into half the panel
    ("stereo-tb", True, (200, 100), (100, 75)),
    ("stereo-sbs", False, (400, 100), (300, 50)),    # full: frame-packed at twice the panel
    ("stereo-tb", False, (200, 200), (100, 150)),
])
def test_stereo_layouts(rig, fmt, half, size, second_at):
    out = make_output(rig, _profile(fmt, 200, 100, half=half))
    assert out.size == size and out.views == 2
    image = out.compose([_solid((255, 0, 0), out.view_size), _solid((0, 255, 0), out.view_size)])
    assert image.get_at((5, 5))[:3] == (255, 0, 0)           # left (or top) eye first
    assert image.get_at(second_at)[:3] == (0, 255, 0)


def test_view_size_is_known_from_the_profile_alone(rig):
    from runtime.display.outputs.view_geometry import view_size
    for name in list_profiles():
        profile = load_profile(name)
        assert view_size(profile) == make_output(rig, profile).view_size, name
