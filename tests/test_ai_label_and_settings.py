"""The AI-generated label is on every frame, in Chinese and English, and no settings file can remove it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pygame
import pytest

from runtime.avatar.rig_animator import AvatarMode, Inputs, RigAnimator
from runtime.composition.config import KioskConfig
from runtime.composition.settings_file import load_settings
from runtime.display.avatar_view import open_rig
from runtime.display.renderer.ai_label import TEXT_ZH, AiLabel, find_cjk_font
from runtime.display.renderer.rig_renderer import RigRenderer
from runtime.shared.errors import ConfigError

CLI = [sys.executable, "-m", "runtime"]


def test_label_is_drawn_on_every_frame_at_every_size():
    for width, height in ((540, 960), (1080, 1920), (200, 200)):
        rig = open_rig(None, height)
        renderer = RigRenderer(rig, width, height)
        animator = RigAnimator(rig, seed=1)
        for step in range(3):
            pose = animator.step(1 / 30, Inputs(AvatarMode.SPEAKING if step else AvatarMode.IDLE, "aa"))
            surface = renderer.draw(pose)
            box = renderer.label_box
            assert box is not None and surface.get_rect().contains(box), (width, height)
            pixels = pygame.surfarray.array3d(surface.subsurface(box))
            assert (pixels.max(axis=2) > 200).mean() > 0.03    # white text ...
            assert (pixels.max(axis=2) < 10).mean() > 0.3      # ... on its black box


def test_label_shows_chinese_glyphs_not_boxes():
    assert find_cjk_font() is not None, "scripts/setup.sh installs fonts-droid-fallback for the label"
    label = AiLabel(26)
    assert label.text.startswith(TEXT_ZH)
    font = pygame.font.Font(str(label.font_path), 24)
    glyphs = [np.asarray(pygame.surfarray.array_alpha(font.render(ch, True, (255, 255, 255)))).tobytes()
              for ch in "智能生成数字人"]
    assert len(set(glyphs)) == 7    # seven different glyphs, not identical "missing" boxes


def _settings(tmp_path, body: str):
    path = tmp_path / "settings.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


@pytest.mark.parametrize("key", ["ai_label", "show_ai_label", "disclosure", "AI_LABEL"])
def test_pushed_settings_cannot_switch_off_the_label_or_disclosure(tmp_path, key):
    path = _settings(tmp_path, f"lang: en\n{key}: false\n")
    with pytest.raises(ConfigError, match=f"{key}: the AI-generated label and spoken disclosure are always on"):
        load_settings(path, KioskConfig())


def test_settings_file_applies_known_keys_and_names_bad_ones(tmp_path):
    good = load_settings(_settings(tmp_path, """\
        lang: zh
        phrase_hints: false
        endpoint: {end_silence_s: 0.8, quick_end_silence_s: 0.4}
        """), KioskConfig())
    assert (good.lang, good.phrase_hints, good.endpoint.end_silence_s) == ("zh", False, 0.8)
    with pytest.raises(ConfigError) as err:
        load_settings(_settings(tmp_path, "lang: 3\nvolume_boost: 11\nendpoint: {end_silence: 1}\n"), KioskConfig())
    text = str(err.value)
    assert "settings.yaml: lang: expected str, got 3" in text
    assert "settings.yaml: volume_boost: unknown setting" in text
    assert "settings.yaml: endpoint: unknown endpoint settings ['end_silence']" in text


def test_run_refuses_a_settings_file_that_hides_the_label(tmp_path):
    path = _settings(tmp_path, "show_ai_label: false\n")
    done = subprocess.run(CLI + ["run", "--settings", str(path), "--input", "x.wav", "--output", "null",
                                 "--display", "headless"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "show_ai_label: the AI-generated label and spoken disclosure are always on" in done.stderr


def test_turn_taking_settings_have_safe_defaults_and_are_validated(tmp_path):
    default = KioskConfig()
    assert default.barge_in and default.barge_in_tuning.pause_after_s <= 0.1      # stops within 150 ms
    assert default.endpoint.hesitation_end_silence_s >= 1.0                       # waits out a 0.9 s pause
    tuned = load_settings(_settings(tmp_path, """\
        barge_in: {confirm_after_s: 0.6, confirm_level_dbfs: -38}
        endpoint: {hesitation_end_silence_s: 1.5}
        """), KioskConfig())
    assert tuned.barge_in and tuned.barge_in_tuning.confirm_after_s == 0.6
    assert tuned.barge_in_tuning.confirm_level_dbfs == -38.0 and tuned.endpoint.hesitation_end_silence_s == 1.5
    assert not load_settings(_settings(tmp_path, "barge_in: false\n"), KioskConfig()).barge_in
    with pytest.raises(ConfigError) as err:
        load_settings(_settings(tmp_path, "barge_in: {confirm_after_s: 0.01, pause_after_s: 0.05}\n"), KioskConfig())
    assert "settings.yaml: barge_in: barge_in.confirm_after_s: expected >= pause_after_s" in str(err.value)
    with pytest.raises(ConfigError, match="barge_in: barge-in settings \\['margin_db'\\]: expected numbers"):
        load_settings(_settings(tmp_path, "barge_in: {margin_db: loud}\n"), KioskConfig())
