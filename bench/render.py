"""Render speed of the talking default avatar, one core: frames per second and CPU per frame.

    python bench/render.py [--seconds 5] [--size 1080x1920] [--panels all|NAME,...] [--backend both|numpy|gl]
                           [--json OUT]

The avatar talks (visemes change every 4 frames, as in speech), blinks, sways and
breathes; the fixed-step animation advances 1/60 s per frame; each frame is drawn
with dirty rectangles, as the kiosk's display does. Pinned to one CPU core.
Writes {"formats": {"flat": {...}, "<panel profile>": {"fps": ..., "cpu_ms_per_frame": ...}, ...}}:
the flat avatar at --size, then every shipped panel profile through its PanelOutput
(targets: flat >= 60 fps, every format >= 30 fps).

Each panel profile is measured through both panel backends side by side: numpy (the reference,
"formats") and the OpenGL ES shader ("gl": the same views, composed by runtime/display/gl/), plus
the views alone ("views_cpu_ms": drawing the views with pygame, common to both), so the
composition's own cost is the difference. The GL figures say which GL renderer ran them: on a
machine without a GPU it is Mesa's llvmpipe, the shader runs on the CPU (counted in the CPU per
frame, pinned to the same core), and the figure is an upper bound of the board's CPU cost, not a
GPU figure. "upload_kb_per_frame" and "readback_kpx_per_frame" are what crosses between CPU and
GPU per frame (docs/panels.md: how they project to a board).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, pct, print_table, write_json  # noqa: E402
from runtime.avatar.rig_animator import AvatarMode, Inputs, RigAnimator  # noqa: E402
from runtime.display.avatar_view import open_rig
from runtime.display.outputs.panel_outputs import make_output  # noqa: E402
from runtime.display.outputs.view_geometry import view_size  # noqa: E402
from runtime.display.panel_backend import GlBackend, choose_panel_backend  # noqa: E402
from runtime.display.panel_profile import list_profiles, load_profile  # noqa: E402
from runtime.display.renderer.rig_renderer import RigRenderer  # noqa: E402

SPEECH = ("sil", "DD", "E", "nn", "aa", "kk", "ih", "SS", "oh", "PP", "aa", "RR", "ou", "FF", "E", "TH", "CH")


def _time_frames(render, animator: RigAnimator, seconds: float) -> dict:
    """Warm up like a running kiosk, then time talking frames: fps (wall) and CPU per frame."""
    for i in range(60):
        render(animator.step(1 / 60, Inputs(AvatarMode.SPEAKING, SPEECH[i // 4 % len(SPEECH)])))
    frames, per_frame = 0, []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall0 < seconds:
        c = time.process_time()
        render(animator.step(1 / 60, Inputs(AvatarMode.SPEAKING, SPEECH[frames // 4 % len(SPEECH)])))
        per_frame.append((time.process_time() - c) * 1000)
        frames += 1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"fps": round(frames / wall, 1), "cpu_ms_per_frame": round(cpu * 1000 / frames, 2),
            "cpu_ms_p95": round(pct(per_frame, 95), 2), "frames": frames}


def measure(width: int, height: int, seconds: float) -> dict:
    rig = open_rig(None, height)
    renderer = RigRenderer(rig, width, height)
    result = _time_frames(renderer.draw, RigAnimator(rig, seed=1), seconds)
    result["last_dirty_share"] = round(sum(r.width * r.height for r in renderer.dirty) / (width * height), 3)
    return result


def measure_panel(name: str, seconds: float) -> dict:
    """One shipped panel profile through its numpy PanelOutput, views drawn at the view size."""
    profile = load_profile(name)
    rig = open_rig(None, view_size(profile)[1])
    output = make_output(rig, profile)
    return {"format": output.name, "views": output.views, "size": list(output.size),
            "view_size": list(output.view_size), **_time_frames(output.render, RigAnimator(rig, seed=1), seconds)}


def measure_views(name: str, seconds: float) -> dict:
    """The views alone (pygame, dirty rectangles), the part both backends share."""
    profile = load_profile(name)
    rig = open_rig(None, view_size(profile)[1])
    return _time_frames(make_output(rig, profile).draw_views, RigAnimator(rig, seed=1), seconds)


def measure_panel_gl(name: str, seconds: float, backend: GlBackend) -> dict:
    """The same profile with its views composed by the GL shader (read back, as the display takes it)."""
    profile = load_profile(name)
    rig = open_rig(None, view_size(profile)[1])
    output = backend.make_output(rig, profile)
    comp = output.compositor
    spent = {"upload": 0.0, "draw": 0.0}

    def timed_step(name, step):
        def run(*args):
            c = time.process_time()
            try:
                return step(*args)
            finally:
                spent[name] += time.process_time() - c
        return run
    animator = RigAnimator(rig, seed=1)
    output.render(animator.step(1 / 60, Inputs(AvatarMode.SPEAKING, "sil")))   # the whole first upload: not counted
    comp.uploaded_bytes = comp.read_pixels = 0
    comp.upload, comp.draw = timed_step("upload", comp.upload), timed_step("draw", comp.draw)
    try:
        timed = _time_frames(output.render, animator, seconds)
        frames = timed["frames"] + 60   # the counters include the warm-up frames
        return {"format": output.name, **timed,
                "upload_cpu_ms": round(spent["upload"] * 1000 / frames, 2),
                "draw_and_read_cpu_ms": round(spent["draw"] * 1000 / frames, 2),
                "upload_kb_per_frame": round(comp.uploaded_bytes / 1024 / frames, 1),
                "readback_kpx_per_frame": round(comp.read_pixels / 1000 / frames, 1)}
    finally:
        output.release()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--size", default="1080x1920")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--panels", default="all", help="comma-separated shipped profiles, all, or none")
    parser.add_argument("--backend", choices=("both", "numpy", "gl"), default="both",
                        help="panel composition to time: numpy (the reference), gl (the shader), or both")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    host = machine()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    flat = measure(width, height, args.seconds)
    formats = {"flat": flat}
    rows = [("flat: frames per second (target >= 60)", f"{flat['fps']}"),
            ("flat: CPU per frame, mean / p95", f"{flat['cpu_ms_per_frame']} / {flat['cpu_ms_p95']} ms"),
            ("share of the screen redrawn (last frame)", f"{flat['last_dirty_share']:.1%}")]
    names = list_profiles() if args.panels == "all" else [n for n in args.panels.split(",") if n and n != "none"]
    gl_backend = None
    if args.backend != "numpy" and names:
        gl_backend = choose_panel_backend("gl", load_profile(names[0]))
        rows.append(("GL renderer", f"{gl_backend.ctx.renderer}, {gl_backend.ctx.version}"))
    gl_formats, views_only = {}, {}
    for name in names:
        label = name
        if args.backend != "gl":
            panel = measure_panel(name, args.seconds)
            formats[name] = panel
            label = f"{name} ({panel['format']}, {panel['views']} views, {panel['size'][0]}x{panel['size'][1]})"
            rows.append((f"{label}: numpy", f"{panel['fps']} fps, {panel['cpu_ms_per_frame']} ms CPU/frame "
                                            f"(p95 {panel['cpu_ms_p95']})"))
        if gl_backend is not None:
            gl = gl_formats[name] = measure_panel_gl(name, args.seconds, gl_backend)
            rows.append((f"{label}: GL", f"{gl['fps']} fps, {gl['cpu_ms_per_frame']} ms CPU/frame "
                                         f"(p95 {gl['cpu_ms_p95']}); upload {gl['upload_cpu_ms']} ms "
                                         f"({gl['upload_kb_per_frame']} KB), shader + read back "
                                         f"{gl['draw_and_read_cpu_ms']} ms ({gl['readback_kpx_per_frame']} kpx)"))
        views_only[name] = measure_views(name, args.seconds)
        rows.append((f"{name}: views alone (both paths)", f"{views_only[name]['cpu_ms_per_frame']} ms CPU/frame"))
    rows.append(("machine", f"{host} (pinned to one core)"))
    print_table(f"Talking default avatar, {width}x{height} and every shipped panel profile, one core", rows)
    result = {"machine": host, "pinned_cores": 1, "size": [width, height], "formats": formats,
              "views_only": views_only}
    if gl_backend is not None:
        result["gl"] = {"renderer": gl_backend.ctx.renderer, "version": gl_backend.ctx.version,
                        "egl_platform": gl_backend.ctx.platform,
                        "on_cpu": "llvmpipe" in gl_backend.ctx.renderer or "softpipe" in gl_backend.ctx.renderer,
                        "formats": gl_formats}
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
