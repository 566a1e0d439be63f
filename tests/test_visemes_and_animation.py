"""Phonemes to visemes (en and zh), the viseme track, and the avatar's living state."""

from __future__ import annotations

import numpy as np
import pygame
import pytest

from runtime.audio.chunk import AudioChunk
from runtime.avatar.clock import FixedStepClock
from runtime.avatar.rig_animator import BLINK_CLOSE_S, BLINK_CLOSED_S, BLINK_OPEN_S, AvatarMode, Inputs, RigAnimator
from runtime.display.avatar_view import open_rig
from runtime.display.renderer.rig_renderer import RigRenderer, mouth_open_pixels
from runtime.lipsync.visemes import VISEMES, VisemeTrack, viseme_for
from runtime.tts.base import PhonemeTiming


@pytest.mark.parametrize("phoneme, viseme", [
    ("p", "PP"), ("m", "PP"), ("f", "FF"), ("ð", "TH"), ("t", "DD"), ("k", "kk"), ("ʃ", "CH"),
    ("s", "SS"), ("n", "nn"), ("ɹ", "RR"), ("æ", "aa"), ("ɛ", "E"), ("ɪ", "ih"), ("ɔ", "oh"),
    ("ʊ", "ou"), ("^", "sil"), (".", "sil"),
    # Mandarin as espeak-ng's cmn voice writes it
    ("χ", "kk"), ("ɕ", "CH"), ("y", "ou"), ("ɜ", "aa"), ("ɤ", "oh"),
])
def test_phonemes_map_to_the_15_visemes(phoneme, viseme):
    assert viseme_for(phoneme) == viseme
    assert viseme in VISEMES


@pytest.mark.parametrize("mark", ["ˈ", "ː", "2", "5", " ", "̪"])
def test_stress_length_and_tone_marks_do_not_move_the_lips(mark):
    assert viseme_for(mark) is None


def test_track_places_phonemes_at_the_sink_time():
    track = VisemeTrack()
    track.add_phonemes(2.0, (PhonemeTiming("^", 0.0, 0.05), PhonemeTiming("h", 0.05, 0.1),
                             PhonemeTiming("ə", 0.1, 0.2), PhonemeTiming("l", 0.2, 0.3),
                             PhonemeTiming("ˈ", 0.3, 0.32), PhonemeTiming("o", 0.32, 0.5)))
    assert track.keys() == [(2000, "sil"), (2100, "E"), (2200, "nn"), (2320, "oh"), (2500, "sil")]
    assert track.at(1.0) == "sil" and track.at(2.35) == "oh" and track.at(9.0) == "sil"


def test_audio_driven_track_opens_on_loud_and_closes_on_quiet():
    rate = 16000
    loud = 0.8 * np.sin(2 * np.pi * 220 * np.arange(rate // 2) / rate)
    audio = AudioChunk.from_float(np.concatenate([np.zeros(rate // 2), loud, np.zeros(rate // 2)]), rate)
    track = VisemeTrack()
    track.add_audio(1.0, audio)
    assert track.at(1.2) == "sil" and track.at(1.75) == "aa" and track.at(2.3) == "sil"


def test_cutting_the_track_closes_the_mouth_at_once():
    track = VisemeTrack()
    track.add_phonemes(0.0, (PhonemeTiming("a", 0.0, 2.0),))
    track.cut(0.5)
    assert track.at(0.4) == "aa" and track.at(0.6) == "sil"


@pytest.fixture(scope="module")
def rig():
    return open_rig(None, 480)


def run_animation(rig, seed: int, seconds: float, viseme="sil", mode=AvatarMode.IDLE):
    animator, clock, poses = RigAnimator(rig, seed), FixedStepClock(), []
    for _ in range(clock.steps_to(seconds)):
        poses.append(animator.step(clock.dt, Inputs(mode, viseme)))
    return poses


def test_animation_is_deterministic_under_a_seed(rig):
    assert run_animation(rig, 7, 10.0) == run_animation(rig, 7, 10.0)
    assert run_animation(rig, 7, 10.0) != run_animation(rig, 8, 10.0)


def test_blinks_follow_live2d_timing(rig):
    poses = run_animation(rig, 3, 60.0)
    closed = [p.t for p in poses if p.params["ParamEyeLOpen"] == 0.0]
    assert closed, "the avatar never blinked in a minute"
    starts = [t for i, t in enumerate(closed) if i == 0 or t - closed[i - 1] > 0.1]
    assert 60 / 7.0 <= len(starts) <= 60 / 1.0    # mean interval 3.5 s, never frantic
    cycle = BLINK_CLOSE_S + BLINK_CLOSED_S + BLINK_OPEN_S
    shut = [p for p in poses if p.params["ParamEyeLOpen"] < 1.0]
    assert len(shut) / len(poses) < 3 * cycle / 3.5


def test_mouth_reaches_the_viseme_shape_within_a_few_frames(rig):
    poses = run_animation(rig, 0, 0.15, viseme="aa", mode=AvatarMode.SPEAKING)
    assert poses[-1].params["ParamMouthOpenY"] > 0.9 and poses[-1].mouth[0][0] == "aa"
    assert run_animation(rig, 0, 0.15, viseme="PP")[-1].params["ParamMouthOpenY"] < 0.05


def test_rendered_mouth_is_open_for_aa_and_closed_for_silence(rig):
    renderer = RigRenderer(rig, 270, 480)
    open_pose = run_animation(rig, 0, 0.2, viseme="aa", mode=AvatarMode.SPEAKING)[-1]
    closed_pose = run_animation(rig, 0, 0.2, viseme="sil", mode=AvatarMode.IDLE)[-1]
    surface = renderer.draw(open_pose)
    assert mouth_open_pixels(surface, renderer.part_rect("mouth"), rig.mouth_interior) > 40
    surface = renderer.draw(closed_pose)
    assert mouth_open_pixels(surface, renderer.part_rect("mouth"), rig.mouth_interior) == 0
    assert isinstance(renderer.surface, pygame.Surface)
