"""The avatar pack format, the default character, animation under a seed, and lip-sync accuracy."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pygame
import pytest
import yaml

from runtime.avatar.clock import FixedStepClock
from runtime.avatar.default_character import build_pack
from runtime.avatar.lip_sync_offset import offsets
from runtime.avatar.mouth_shapes import VISEMES, shape_for
from runtime.avatar.rig_animator import AvatarMode, Inputs, RigAnimator
from runtime.avatar.rig_loader import check_rig, load_rig
from runtime.display.renderer.rig_renderer import RigRenderer

CLI = [sys.executable, "-m", "runtime"]
GOLDEN = Path(__file__).parent / "data" / "avatar_sheet_golden.png"


@pytest.fixture(scope="module")
def nova(tmp_path_factory) -> Path:
    return build_pack(tmp_path_factory.mktemp("nova") / "pack", 0.5)


def test_default_character_is_a_valid_pack_at_any_scale(nova, tmp_path):
    assert check_rig(nova) == []
    rig = load_rig(nova)
    assert rig.canvas == (540, 960)
    big = load_rig(build_pack(tmp_path / "big", 1.0))
    assert big.canvas == (1080, 1920)
    assert {p.id for p in rig.parts} >= {"hair_back", "hair_front", "face", "eye_white_l", "iris_r", "lash_l",
                                          "brow_r", "mouth", "body", "earring_l"}
    assert set(rig.mouth.mouths) == set(VISEMES)
    assert {"neutral", "smile", "surprised", "thinking", "sad"} <= set(rig.expressions)
    assert {"nod", "wave", "bow", "idle"} <= set(rig.motions) and rig.physics
    depths = {p.id: p.z for p in rig.parts}
    assert depths["hair_back"] < depths["face"] < depths["hair_front"]     # the 3D panels' layers


def _broken(tmp_path: Path, nova: Path, edit) -> list[str]:
    pack = tmp_path / "broken"
    shutil.copytree(nova, pack)
    rig = yaml.safe_load((pack / "rig.yaml").read_text())
    edit(rig)
    (pack / "rig.yaml").write_text(yaml.safe_dump(rig, sort_keys=False))
    return check_rig(pack)


def test_rig_errors_name_file_line_field_and_what_was_expected(tmp_path, nova):
    def edit(rig):
        rig["parts"][0]["image"] = "missing.png"
        rig["parts"][1]["keyforms"] = {"ParamNoSuch": {0: {"x": 1}}}
        rig["parts"][2]["keyforms"] = {"ParamAngleX": {99: {"x": 1}}}
        rig["parts"][3]["parent"] = "nobody"
        mouth = next(p for p in rig["parts"] if "mouths" in p)
        mouth["mouths"] = {"sil": "mouth_sil.png", "aa": "mouth_aa.png"}
        del rig["expressions"]["sad"]
        del rig["motions"]["nod"]
        rig["physics"][0]["output"] = "ParamUndeclared"
    problems = "\n".join(_broken(tmp_path, nova, edit))
    for expected in ("rig.yaml:", "parts[0].image: expected a PNG file in the pack ('missing.png' not found)",
                     "parts[1].keyforms.ParamNoSuch: expected a standard parameter",
                     "parts[2].keyforms.ParamAngleX.99: expected a parameter value within -30..30",
                     "parts[3].parent: expected the id of another part ('nobody' is not one)",
                     ".mouths: expected all 15 visemes",
                     "expressions: expected an expression named 'sad'",
                     "motions: expected a motion named 'nod'",
                     "physics[0].output: expected a parameter declared under params"):
        assert expected in problems, problems


def test_avatar_check_cli_reports_and_exits_nonzero(tmp_path, nova):
    _broken(tmp_path, nova, lambda rig: rig["parts"][0].update(image="missing.png"))
    done = subprocess.run(CLI + ["avatar", "check", str(tmp_path / "broken")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1 and "parts[0].image" in done.stdout
    ok = subprocess.run(CLI + ["avatar", "check", str(nova)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and ok.stdout.strip().endswith("OK")


@pytest.mark.parametrize("shapes, viseme, expected", [
    (set(VISEMES), "TH", "TH"),
    ({"A", "B", "C", "D", "E_", "F"}, "aa", "D"),
    ({"A", "B", "C", "D", "E_", "F"}, "PP", "A"),
    ({"A", "B", "C", "D", "E_", "F"}, "ou", "F"),
    ({"A", "B", "C", "D", "E_", "F"}, "oh", "E_"),
    ({"open", "closed"}, "aa", "open"),
    ({"open", "closed"}, "PP", "closed"),
    ({"open", "closed"}, "sil", "closed"),
])
def test_mouth_fallback_map(shapes, viseme, expected):
    assert shape_for(viseme, shapes) == expected


@pytest.mark.parametrize("mouths", [
    {"A": "mouth_PP.png", "B": "mouth_DD.png", "C": "mouth_E.png", "D": "mouth_aa.png", "E": "mouth_oh.png",
     "F": "mouth_ou.png"},
    {"open": "mouth_aa.png", "closed": "mouth_sil.png"},
])
def test_a_rig_with_fewer_mouths_still_talks(tmp_path, nova, mouths):
    def edit(rig):
        next(p for p in rig["parts"] if "mouths" in p)["mouths"] = mouths
    assert _broken(tmp_path, nova, edit) == []
    rig = load_rig(tmp_path / "broken")
    renderer, animator = RigRenderer(rig, 270, 480), RigAnimator(rig)
    for viseme in VISEMES:
        for _ in range(6):
            renderer.draw(animator.step(1 / 60, Inputs(AvatarMode.SPEAKING, viseme)))


def _params(rig, seed, seconds, inputs=Inputs()):
    animator, clock, out = RigAnimator(rig, seed), FixedStepClock(), []
    for _ in range(clock.steps_to(seconds)):
        out.append(animator.step(clock.dt, inputs))
    return out


def test_same_seed_same_parameters_at_the_same_time(nova):
    rig = load_rig(nova)
    a, b, c = _params(rig, 5, 12.0), _params(rig, 5, 12.0), _params(rig, 6, 12.0)
    assert [p.params for p in a] == [p.params for p in b]
    assert [p.params for p in a] != [p.params for p in c]


def test_expression_fades_in_and_blends(nova):
    rig = load_rig(nova)
    animator = RigAnimator(rig, 1, blinks=False)
    base = animator.step(1 / 60, Inputs()).params
    animator.express("smile")
    halfway = [animator.step(1 / 60, Inputs()).params for _ in range(7)][-1]     # 0.13 s of a 0.25 s fade
    full = [animator.step(1 / 60, Inputs()).params for _ in range(30)][-1]
    assert base["ParamEyeLSmile"] == 0.0 and 0.2 < halfway["ParamEyeLSmile"] < 0.7
    assert full["ParamEyeLSmile"] == pytest.approx(0.8)                          # overwrite
    assert full["ParamMouthForm"] == pytest.approx(base["ParamMouthForm"] + 0.6, abs=0.05)   # add
    animator.express("sad")
    sad = [animator.step(1 / 60, Inputs()).params for _ in range(60)][-1]
    assert sad["ParamEyeLOpen"] == pytest.approx(0.7)                             # multiply
    assert sad["ParamEyeLSmile"] == pytest.approx(0.0)                            # smile faded out


def test_motions_play_once_on_cue_and_idle_sways_underneath(nova):
    rig = load_rig(nova)
    animator = RigAnimator(rig, 2)
    animator._next_saccade = 1e9
    still = [animator.step(1 / 60, Inputs()).params["ParamAngleY"] for _ in range(10)]
    animator.play("nod")
    nod = [animator.step(1 / 60, Inputs()).params["ParamAngleY"] for _ in range(60)]
    assert min(nod) < min(still) - 8            # the head dipped
    assert abs(nod[-1] - still[-1]) < 1.0       # and came back
    sway = [p.params["ParamAngleX"] for p in _params(rig, 2, 8.0)]
    assert max(sway) - min(sway) > 2.0


def test_earring_swings_when_the_head_turns_then_settles(nova):
    rig = load_rig(nova)
    animator = RigAnimator(rig, 3)
    animator._next_saccade = 1e9
    for _ in range(120):
        animator.step(1 / 60, Inputs())
    animator.play("wave")
    swings = [animator.step(1 / 60, Inputs()).params["ParamEarringSwing"] for _ in range(600)]
    assert max(abs(s) for s in swings[:120]) > 1.0        # it moved
    assert max(abs(s) for s in swings[-60:]) < max(abs(s) for s in swings[:120]) / 3   # and calmed down


def test_mouth_never_snaps_between_shapes(nova):
    rig = load_rig(nova)
    animator = RigAnimator(rig, 0)
    for _ in range(10):
        animator.step(1 / 60, Inputs(AvatarMode.SPEAKING, "sil"))
    first = animator.step(1 / 60, Inputs(AvatarMode.SPEAKING, "aa"))
    steps = [first] + [animator.step(1 / 60, Inputs(AvatarMode.SPEAKING, "aa")) for _ in range(6)]
    opens = [p.params["ParamMouthOpenY"] for p in steps]
    assert 0.1 < opens[0] < 0.6                      # on its way, not there at once
    assert all(b >= a for a, b in zip(opens, opens[1:])) and opens[-1] > 0.9
    assert len(first.mouth) == 2                     # the old and new shape cross-fade


def test_thinking_and_listening_are_visible(nova):
    rig = load_rig(nova)
    listening = _params(rig, 4, 1.0, Inputs(AvatarMode.LISTENING))[-1].params
    idle = _params(rig, 4, 1.0, Inputs(AvatarMode.IDLE))[-1].params
    thinking = _params(rig, 4, 1.0, Inputs(AvatarMode.THINKING))[-1].params
    assert listening["ParamAngleZ"] - idle["ParamAngleZ"] > 4      # attentive head tilt
    assert thinking["ParamBrowLY"] > idle["ParamBrowLY"]


def test_dirty_rectangles_redraw_only_what_moved(nova):
    rig = load_rig(nova)
    renderer, animator = RigRenderer(rig, 540, 960), RigAnimator(rig, 1)
    renderer.draw(animator.step(1 / 60, Inputs()))
    shares = []
    for i in range(60):
        renderer.draw(animator.step(1 / 60, Inputs(AvatarMode.SPEAKING, VISEMES[i // 4 % 15])))
        shares.append(sum(r.width * r.height for r in renderer.dirty) / (540 * 960))
    assert np.mean(shares) < 0.35
    pose = animator.step(1 / 60, Inputs(AvatarMode.SPEAKING, "oh"))
    full = RigRenderer(rig, 540, 960).draw(pose)
    incremental = renderer.draw(pose)
    diff = np.abs(pygame.surfarray.array3d(full).astype(int) - pygame.surfarray.array3d(incremental).astype(int))
    assert diff.mean() < 1.0          # drawing only the dirty parts gives the same picture


def test_contact_sheet_matches_the_golden_image(tmp_path):
    out = tmp_path / "sheet.png"
    done = subprocess.run(CLI + ["avatar", "preview", "--out", str(out)], capture_output=True, text=True,
                          timeout=300, env={**__import__("os").environ, "SDL_VIDEODRIVER": "dummy"})
    assert done.returncode == 0, done.stderr
    sheet = pygame.image.load(str(out))
    small = pygame.transform.smoothscale(sheet, (sheet.get_width() // 4, sheet.get_height() // 4))
    if not GOLDEN.exists():      # first run on a new drawing: write it, and fail so it gets reviewed
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(small, str(GOLDEN))
        pytest.fail(f"wrote {GOLDEN}: review it and commit it")
    golden = pygame.image.load(str(GOLDEN))
    assert golden.get_size() == small.get_size()
    diff = np.abs(pygame.surfarray.array3d(golden).astype(int) - pygame.surfarray.array3d(small).astype(int))
    assert diff.mean() < 2.0 and (diff.max(axis=2) > 60).mean() < 0.01


def test_offsets_are_measured_against_the_sound():
    track = [(1000, "sil"), (1100, "aa"), (1200, "PP"), (1230, "E"), (1400, "sil")]
    shown = [(0, "sil"), (1108, "aa"), (1250, "E"), (1420, "sil")]
    report = offsets(track, shown)
    assert report.offsets_ms == (8, 20) and report.not_shown == 1      # PP was too short to show
    assert report.summary()["p50"] == 14


def test_lip_sync_offset_on_a_real_piper_utterance(tmp_path, speak):
    """A spoken question answered through `run`: every viseme's frame within 20 ms of its sound (p95)."""
    audio, _ = speak(["Where is the cinema?"])
    from tests.conftest import write_wav
    question = write_wav(tmp_path / "q.wav", audio)
    done = subprocess.run(CLI + ["run", "--content", str(Path(__file__).parents[2] / "shared" / "venues" /
                                                         "mall-demo"),
                                 "--lang", "en", "--input", str(question), "--output", "null", "--display",
                                 "headless", "--report", str(tmp_path / "r.json")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    av = json.loads((tmp_path / "r.json").read_text())["av_offset_ms"]
    assert av["count"] > 40 and abs(av["p50"]) <= 10 and av["p95"] <= 20, av
    assert av["not_shown"] <= 0.1 * av["count"]
