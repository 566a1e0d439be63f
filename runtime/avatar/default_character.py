"""The project's own character, "Nova": a venue guide drawn by code, at any resolution.

Every layer is a vector drawing (runtime/avatar/vector_art.py) rendered at the
scale a panel needs, written as PNGs beside a rig.yaml: an ordinary avatar pack
(docs/avatar-pack.md) that `edge-avatar avatar check` and `preview` accept and an
artist can start from. Canvas 1080 x 1920 (portrait), upper body, front-facing.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import shutil
import tempfile
from pathlib import Path

import pygame
import yaml

from .mouth_shapes import VISEMES

_LOGGER = logging.getLogger(__name__)
from .vector_art import Layer, cubic, path

CANVAS = (1080, 1920)
SKIN, SKIN_SHADE, BLUSH = (250, 220, 200), (236, 192, 170), (244, 160, 160)
HAIR_TOP, HAIR_BOTTOM, HAIR_DARK = (92, 58, 70), (54, 32, 44), (40, 24, 34)
JACKET_TOP, JACKET_BOTTOM, JACKET_DARK = (28, 122, 140), (16, 82, 100), (12, 64, 80)
SHIRT, GOLD, GEM = (246, 246, 242), (232, 196, 96), (90, 200, 225)
IRIS_TOP, IRIS_BOTTOM, PUPIL = (64, 104, 160), (110, 160, 200), (24, 24, 36)
LIP, MOUTH_INTERIOR, TEETH, TONGUE = (200, 96, 108), (92, 18, 34), (250, 250, 250), (214, 110, 120)
LASH = (44, 28, 36)
HEAD_PIVOT = (540, 990)     # the neck: the head turns and nods around it
EYE_Y, EYE_DX = 722, 84
MOUTH_C = (540, 880)

# (open 0..1, width factor, teeth showing, tongue) per viseme, for the drawn mouths
MOUTH_DRAWING = {
    "sil": (0.0, 1.0, 0, 0), "PP": (0.0, 0.9, 0, 0), "FF": (0.12, 1.0, 1, 0), "TH": (0.22, 1.0, 1, 1),
    "DD": (0.3, 1.0, 1, 1), "kk": (0.34, 1.0, 1, 0), "CH": (0.3, 0.8, 1, 0), "SS": (0.14, 1.15, 1, 0),
    "nn": (0.25, 1.0, 1, 1), "RR": (0.3, 0.78, 0, 0), "aa": (1.0, 1.05, 1, 1), "E": (0.55, 1.2, 1, 0),
    "ih": (0.42, 1.25, 1, 0), "oh": (0.72, 0.75, 0, 1), "ou": (0.38, 0.6, 0, 0),
}


def _hair_back(scale: float) -> pygame.Surface:
    layer = Layer((300, 380, 480, 900), scale)
    outline = path(cubic((540, 400), (690, 396), (770, 520), (766, 700)),
                   cubic((766, 700), (764, 900), (790, 1080), (760, 1230)),
                   cubic((760, 1230), (660, 1262), (420, 1262), (320, 1230)),
                   cubic((320, 1230), (290, 1080), (316, 900), (314, 700)),
                   cubic((314, 700), (310, 520), (390, 396), (540, 400)))
    layer.fill(outline, HAIR_BOTTOM, (HAIR_TOP, HAIR_DARK))
    return layer.image()


def _body(scale: float) -> pygame.Surface:
    layer = Layer((0, 960, 1080, 960), scale)
    jacket = path(cubic((120, 1920), (110, 1500), (160, 1180), (430, 1090)),
                  cubic((430, 1090), (500, 1070), (580, 1070), (650, 1090)),
                  cubic((650, 1090), (920, 1180), (970, 1500), (960, 1920)))
    layer.fill(jacket, JACKET_BOTTOM, (JACKET_TOP, JACKET_BOTTOM))
    layer.fill([(455, 1085), (625, 1085), (540, 1300)], SHIRT)                      # shirt
    layer.fill([(430, 1090), (470, 1080), (540, 1300), (500, 1330), (400, 1180)], JACKET_DARK)   # lapels
    layer.fill([(650, 1090), (610, 1080), (540, 1300), (580, 1330), (680, 1180)], JACKET_DARK)
    layer.fill([(505, 1086), (575, 1086), (540, 1130)], (210, 80, 80))              # scarf knot
    layer.fill([(520, 1120), (560, 1120), (575, 1230), (540, 1260), (505, 1230)], (196, 70, 72))
    badge = [(660, 1360), (800, 1360), (800, 1400), (660, 1400)]
    layer.fill(badge, GOLD)
    layer.line([(680, 1380), (780, 1380)], (120, 90, 30), 6)
    layer.line([(300, 1500), (330, 1900)], JACKET_DARK, 5)                           # seams
    layer.line([(780, 1500), (750, 1900)], JACKET_DARK, 5)
    return layer.image()


def _neck(scale: float) -> pygame.Surface:
    layer = Layer((470, 900, 140, 220), scale)
    layer.fill([(480, 900), (600, 900), (606, 1100), (540, 1118), (474, 1100)], SKIN_SHADE, (SKIN_SHADE, SKIN))
    return layer.image()


def _face(scale: float) -> pygame.Surface:
    layer = Layer((320, 480, 440, 520), scale)
    face = path(cubic((540, 490), (660, 490), (735, 570), (732, 700)),
                cubic((732, 700), (730, 820), (660, 930), (540, 975)),
                cubic((540, 975), (420, 930), (350, 820), (348, 700)),
                cubic((348, 700), (345, 570), (420, 490), (540, 490)))
    layer.ellipse(345, 760, 26, 44, SKIN_SHADE)     # ears
    layer.ellipse(735, 760, 26, 44, SKIN_SHADE)
    layer.fill(face, SKIN, (SKIN, (246, 208, 188)))
    layer.line(cubic((548, 770), (556, 800), (560, 820), (536, 830), 12), SKIN_SHADE, 4)   # nose
    return layer.image()


def _blush(scale: float) -> pygame.Surface:
    layer = Layer((400, 800, 280, 60), scale)
    for cx in (450, 630):
        layer.ellipse(cx, 830, 40, 16, BLUSH + (150,))
    return layer.image()


def _eye_white(scale: float) -> pygame.Surface:
    layer = Layer((-50, -32, 100, 64), scale)
    layer.fill(path(cubic((-46, 4), (-30, -30), (30, -30), (46, -2)), cubic((46, -2), (30, 26), (-30, 28), (-46, 4))),
               (255, 255, 255), ((236, 236, 244), (255, 255, 255)))
    return layer.image()


def _iris(scale: float) -> pygame.Surface:
    layer = Layer((-26, -26, 52, 52), scale)
    layer.ellipse(0, 0, 24, 25, IRIS_TOP, (IRIS_TOP, IRIS_BOTTOM))
    layer.ellipse(0, 1, 11, 12, PUPIL)
    layer.ellipse(8, -9, 6, 6, (255, 255, 255))
    layer.ellipse(-7, 9, 3, 3, (230, 240, 255))
    return layer.image()


def _lash(scale: float, side: int) -> pygame.Surface:
    layer = Layer((-60, -40, 120, 60), scale)
    arc = cubic((-50, 6), (-32, -32), (30, -32), (50, -4), 20)
    layer.line(arc, LASH, 7)
    tip = (54 * side, -12) if side > 0 else (-54, -12)
    layer.line([arc[-1] if side > 0 else arc[0], tip], LASH, 5)
    return layer.image()


def _lid_closed(scale: float) -> pygame.Surface:
    layer = Layer((-56, -12, 112, 36), scale)
    layer.line(cubic((-48, 2), (-28, 18), (28, 18), (48, 2), 16), LASH, 6)
    return layer.image()


def _brow(scale: float, side: int) -> pygame.Surface:
    layer = Layer((-60, -20, 120, 40), scale)
    pts = cubic((-50 * side, 8), (-20 * side, -10), (20 * side, -12), (50 * side, -2), 16)
    layer.fill(path(pts, [(50 * side, 6), (-50 * side, 14)]), HAIR_DARK)
    return layer.image()


def _mouth(scale: float, viseme: str) -> pygame.Surface:
    open_, wide, teeth, tongue = MOUTH_DRAWING[viseme]
    layer = Layer((-80, -60, 160, 120), scale)
    half = 34 * wide
    h = 46 * open_
    if h < 3:    # closed: a soft smile line with a lower-lip hint
        layer.line(cubic((-half, -2), (-half / 2, 8), (half / 2, 8), (half, -2), 16), LIP, 6)
        layer.line(cubic((-half * 0.4, 14), (-5, 18), (5, 18), (half * 0.4, 14), 8), (226, 160, 160), 4)
        return layer.image()
    lips = path(cubic((-half - 6, 0), (-half / 2, -h / 2 - 10), (half / 2, -h / 2 - 10), (half + 6, 0)),
                cubic((half + 6, 0), (half / 2, h / 2 + 14), (-half / 2, h / 2 + 14), (-half - 6, 0)))
    layer.fill(lips, LIP)
    inner = path(cubic((-half, 0), (-half / 2, -h / 2), (half / 2, -h / 2), (half, 0)),
                 cubic((half, 0), (half / 2, h / 2 + 6), (-half / 2, h / 2 + 6), (-half, 0)))
    layer.fill(inner, MOUTH_INTERIOR)
    if teeth:
        band = min(10.0, h * 0.3)
        layer.fill(path(cubic((-half * 0.7, -h / 2 + 2), (-half * 0.3, -h / 2 - 1), (half * 0.3, -h / 2 - 1),
                              (half * 0.7, -h / 2 + 2)),
                        [(half * 0.6, -h / 2 + band), (-half * 0.6, -h / 2 + band)]), TEETH)
    if tongue and h > 12:
        layer.ellipse(0, h / 2 - 2, half * 0.45, min(10.0, h * 0.22), TONGUE)
    return layer.image()


def _hair_front(scale: float) -> pygame.Surface:
    layer = Layer((320, 440, 440, 360), scale)
    bangs = path(cubic((334, 720), (320, 540), (420, 450), (545, 452)),
                 cubic((545, 452), (680, 452), (760, 540), (746, 720)),
                 cubic((746, 720), (720, 640), (690, 600), (660, 590)),
                 cubic((660, 590), (640, 640), (600, 660), (560, 664)),
                 cubic((560, 664), (580, 630), (580, 600), (570, 580)),
                 cubic((570, 580), (520, 630), (450, 650), (400, 640)),
                 cubic((400, 640), (380, 670), (360, 700), (334, 720)))
    layer.fill(bangs, HAIR_TOP, (HAIR_TOP, HAIR_BOTTOM))
    layer.line(cubic((470, 480), (500, 470), (560, 466), (610, 480), 12), (130, 90, 100), 5)   # shine
    return layer.image()


def _side_lock(scale: float, side: int) -> pygame.Surface:
    layer = Layer((-40, -10, 80, 300), scale)
    lock = path(cubic((-22, 0), (-30, 100), (-20, 200), (0, 280)), cubic((0, 280), (20, 200), (30, 100), (22, 0)))
    layer.fill(lock, HAIR_BOTTOM, (HAIR_TOP, HAIR_DARK))
    return layer.image()


def _earring(scale: float) -> pygame.Surface:
    layer = Layer((-20, -4, 40, 80), scale)
    layer.line([(0, 0), (0, 40)], GOLD, 4)
    layer.fill([(0, 38), (14, 56), (0, 76), (-14, 56)], GEM)
    layer.fill([(0, 42), (6, 52), (0, 58), (-6, 52)], (200, 245, 255))
    return layer.image()


def build_pack(folder: Path, scale: float = 1.0) -> Path:
    """Draw every layer at `scale` and write the pack (PNGs + rig.yaml) into `folder`."""
    pygame.display.init()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    images: dict[str, pygame.Surface] = {
        "hair_back.png": _hair_back(scale), "body.png": _body(scale), "neck.png": _neck(scale),
        "face.png": _face(scale), "blush.png": _blush(scale), "eye_white.png": _eye_white(scale),
        "iris.png": _iris(scale), "lash_l.png": _lash(scale, -1), "lash_r.png": _lash(scale, 1),
        "lid_closed.png": _lid_closed(scale), "brow_l.png": _brow(scale, -1), "brow_r.png": _brow(scale, 1),
        "hair_front.png": _hair_front(scale), "lock_l.png": _side_lock(scale, -1),
        "lock_r.png": _side_lock(scale, 1), "earring.png": _earring(scale),
    }
    for v in VISEMES:
        images[f"mouth_{v}.png"] = _mouth(scale, v)
    for name, surface in images.items():
        pygame.image.save(surface, str(folder / name))
    (folder / "rig.yaml").write_text(rig_yaml(scale), encoding="utf-8")
    return folder


def cache_dir() -> Path:
    """$EDGE_AVATAR_CACHE, else the kiosk's data folder (a read-only root leaves only that writable),
    else ~/.cache/edge-avatar."""
    base = (os.environ.get("EDGE_AVATAR_CACHE")
            or (os.path.join(os.environ["EDGE_AVATAR_DATA"], "cache") if os.environ.get("EDGE_AVATAR_DATA") else None)
            or os.path.join(os.path.expanduser("~"), ".cache", "edge-avatar"))
    return Path(base) / "avatars"


def default_pack(height: int) -> Path:
    """The default character drawn for a panel `height` pixels tall (scales in steps of 1/8)."""
    scale = max(0.25, math.ceil(height / CANVAS[1] * 8) / 8)
    return pack_for_scale(cache_dir(), scale)


def pack_for_scale(cache: Path, scale: float) -> Path:
    """The default pack drawn at `scale`, built once into `cache` (keyed by this file's code)."""
    code = hashlib.sha256(Path(__file__).read_bytes() + Path(__file__).with_name("vector_art.py").read_bytes())
    folder = Path(cache) / f"nova-{scale:.3f}-{code.hexdigest()[:10]}"
    if not (folder / "rig.yaml").exists():
        try:
            Path(cache).mkdir(parents=True, exist_ok=True)
        except OSError as err:     # a read-only root with no cache folder: draw it where we can
            folder = Path(tempfile.mkdtemp(prefix="edge-avatar-nova-")) / folder.name
            _LOGGER.warning("avatar cache %s is not writable (%s); drawing the avatar in %s", cache, err,
                            folder.parent)
        tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
        build_pack(tmp, scale)
        try:
            tmp.rename(folder)          # atomic: a half-built pack is never used
        except OSError:                 # another process built it first
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def rig_yaml(scale: float) -> str:
    s = scale

    def pt(x: float, y: float) -> list[float]:
        return [round(x * s, 2), round(y * s, 2)]

    def parallax(px: float, py: float) -> dict:
        return {"ParamAngleX": {-30: {"x": round(-px * s, 2)}, 30: {"x": round(px * s, 2)}},
                "ParamAngleY": {-30: {"y": round(py * s, 2)}, 30: {"y": round(-py * s, 2)}}}

    def eye(side: str, dx: float) -> list[dict]:
        open_param = f"ParamEye{side}Open"
        smile = f"ParamEye{side}Smile"
        centre = pt(540 + dx, EYE_Y)
        cx, cy = 540 + dx, EYE_Y
        return [
            {"id": f"eye_white_{side.lower()}", "image": "eye_white.png", "at": pt(cx - 50, cy - 32), "order": 30, "z": 0.32, "parent": "head",
             "pivot": centre, "keyforms": {open_param: {0: {"scale_y": 0.05}, 1: {}},
                                           smile: {0: {}, 1: {"scale_y": 0.45, "y": round(6 * s, 2)}}}},
            {"id": f"iris_{side.lower()}", "image": "iris.png", "at": pt(cx - 26, cy - 26), "order": 31, "z": 0.33, "parent": "head",
             "pivot": centre, "keyforms": {
                 "ParamEyeBallX": {-1: {"x": round(-14 * s, 2)}, 1: {"x": round(14 * s, 2)}},
                 "ParamEyeBallY": {-1: {"y": round(8 * s, 2)}, 1: {"y": round(-8 * s, 2)}},
                 open_param: {0: {"scale_y": 0.05}, 1: {}}, smile: {0: {}, 1: {"scale_y": 0.4}}}},
            {"id": f"lash_{side.lower()}", "image": f"lash_{side.lower()}.png", "at": pt(cx - 60, cy - 40),
             "order": 32, "z": 0.34,
             "parent": "head", "pivot": centre,
             "keyforms": {open_param: {0: {"y": round(20 * s, 2), "opacity": 0}, 0.3: {"y": round(12 * s, 2)},
                                       1: {}},
                          smile: {0: {}, 1: {"y": round(8 * s, 2)}}}},
            {"id": f"lid_{side.lower()}", "image": "lid_closed.png", "at": pt(cx - 56, cy - 12), "order": 33, "z": 0.34, "parent": "head",
             "pivot": pt(540 + dx, EYE_Y + 6), "keyforms": {open_param: {0: {}, 0.25: {"opacity": 0}, 1: {"opacity": 0}}}},
            {"id": f"brow_{side.lower()}", "image": f"brow_{side.lower()}.png", "at": pt(cx - 60, cy - 90),
             "order": 34, "z": 0.36,
             "parent": "head", "pivot": pt(540 + dx, EYE_Y - 70),
             "keyforms": {f"ParamBrow{side}Y": {-1: {"y": round(10 * s, 2)}, 1: {"y": round(-14 * s, 2)}}}},
        ]

    parts = [
        {"id": "hair_back", "image": "hair_back.png", "at": pt(300, 380), "order": 5, "z": -0.25, "parent": "head",
         "pivot": pt(540, 820), "keyforms": parallax(-6, -4)},
        {"id": "body", "image": "body.png", "at": pt(0, 960), "order": 10, "z": 0.0, "pivot": pt(540, 1440),
         # Breath lifts the head and neck; the jacket stays put (a moving body would redraw, and on
         # multi-view panels re-interleave, half the screen several times a second).
         "keyforms": {"ParamBodyAngleX": {-10: {"x": round(-16 * s, 2)}, 10: {"x": round(16 * s, 2)}}}},
        {"id": "neck", "image": "neck.png", "at": pt(470, 900), "order": 12, "z": 0.05, "pivot": pt(540, 1010),
         "keyforms": {"ParamBreath": {0: {}, 1: {"y": round(-4 * s, 2)}}}},
        {"id": "head", "order": 15, "z": 0.3, "pivot": pt(*HEAD_PIVOT),
         "keyforms": {"ParamAngleX": {-30: {"x": round(-18 * s, 2)}, 30: {"x": round(18 * s, 2)}},
                      "ParamAngleY": {-30: {"y": round(14 * s, 2)}, 30: {"y": round(-14 * s, 2)}},
                      "ParamAngleZ": {-30: {"rotate": -30}, 30: {"rotate": 30}},
                      "ParamBreath": {0: {}, 1: {"y": round(-4 * s, 2)}},
                      "ParamBodyAngleX": {-10: {"x": round(-12 * s, 2)}, 10: {"x": round(12 * s, 2)}}}},
        {"id": "lock_l", "image": "lock_l.png", "at": pt(310, 630), "order": 16, "z": 0.2, "parent": "head", "pivot": pt(350, 640),
         "keyforms": {**parallax(-2, -2), "ParamHairSwing": {-30: {"rotate": -30}, 30: {"rotate": 30}}}},
        {"id": "lock_r", "image": "lock_r.png", "at": pt(690, 630), "order": 16, "z": 0.2, "parent": "head", "pivot": pt(730, 640),
         "keyforms": {**parallax(-2, -2), "ParamHairSwing": {-30: {"rotate": -30}, 30: {"rotate": 30}}}},
        {"id": "face", "image": "face.png", "at": pt(320, 480), "order": 20, "z": 0.3, "parent": "head", "pivot": pt(540, 740),
         "keyforms": parallax(4, 3)},
        {"id": "blush", "image": "blush.png", "at": pt(400, 800), "order": 21, "z": 0.33, "parent": "head", "pivot": pt(540, 830),
         "keyforms": {**parallax(6, 4), "ParamEyeLSmile": {0: {"opacity": 0.35}, 1: {"opacity": 1}}}},
        *eye("L", -EYE_DX), *eye("R", EYE_DX),
        {"id": "mouth", "at": pt(MOUTH_C[0] - 80, MOUTH_C[1] - 60), "order": 40, "z": 0.34, "parent": "head", "pivot": pt(*MOUTH_C),
         "mouths": {v: f"mouth_{v}.png" for v in VISEMES},
         "keyforms": {**parallax(7, 5), "ParamMouthForm": {-1: {"y": round(3 * s, 2), "scale_x": 0.88},
                                                   1: {"y": round(-2 * s, 2), "scale_x": 1.12}}}},
        {"id": "earring_l", "image": "earring.png", "at": pt(326, 796), "order": 42, "z": 0.25, "parent": "head", "pivot": pt(346, 800),
         "keyforms": {"ParamEarringSwing": {-40: {"rotate": -40}, 40: {"rotate": 40}}}},
        {"id": "earring_r", "image": "earring.png", "at": pt(714, 796), "order": 42, "z": 0.25, "parent": "head", "pivot": pt(734, 800),
         "keyforms": {"ParamEarringSwing": {-40: {"rotate": -40}, 40: {"rotate": 40}}}},
        {"id": "hair_front", "image": "hair_front.png", "at": pt(320, 440), "order": 50, "z": 0.42, "parent": "head",
         "pivot": pt(540, 560), "keyforms": {**parallax(9, 6),
                                            "ParamHairSwing": {-30: {"rotate": -2}, 30: {"rotate": 2}}}},
    ]
    rig = {
        "name": "Nova (edge-avatar default guide)",
        "canvas": [round(CANVAS[0] * s), round(CANVAS[1] * s)],
        "mouth_interior": list(MOUTH_INTERIOR),
        "params": {"ParamHairSwing": {"min": -30, "max": 30, "default": 0},
                   "ParamEarringSwing": {"min": -40, "max": 40, "default": 0}},
        "parts": parts,
        "expressions": {
            "neutral": {"fade_in": 0.3, "fade_out": 0.3, "params": {}},
            "smile": {"fade_in": 0.25, "fade_out": 0.5, "params": {
                "ParamEyeLSmile": [0.8, "overwrite"], "ParamEyeRSmile": [0.8, "overwrite"],
                "ParamMouthForm": [0.6, "add"], "ParamBrowLY": [0.2, "add"], "ParamBrowRY": [0.2, "add"]}},
            "surprised": {"fade_in": 0.12, "fade_out": 0.4, "params": {
                "ParamBrowLY": [0.9, "overwrite"], "ParamBrowRY": [0.9, "overwrite"],
                "ParamEyeLOpen": [1.0, "overwrite"], "ParamEyeROpen": [1.0, "overwrite"],
                "ParamMouthOpenY": [0.35, "add"]}},
            "thinking": {"fade_in": 0.3, "fade_out": 0.4, "params": {
                "ParamBrowLY": [0.5, "add"], "ParamBrowRY": [-0.3, "add"], "ParamEyeBallX": [0.4, "add"],
                "ParamEyeBallY": [0.4, "add"], "ParamAngleZ": [-4, "add"]}},
            "sad": {"fade_in": 0.4, "fade_out": 0.5, "params": {
                "ParamBrowLY": [-0.6, "overwrite"], "ParamBrowRY": [-0.6, "overwrite"],
                "ParamMouthForm": [-0.6, "add"], "ParamEyeLOpen": [0.7, "multiply"], "ParamEyeROpen": [0.7, "multiply"],
                "ParamAngleY": [-6, "add"]}},
        },
        "motions": {
            "idle": {"duration": 8.0, "loop": True, "curves": {
                "ParamAngleX": [[0, 0], [2, 3], [4, 0], [6, -3], [8, 0]],
                "ParamBodyAngleX": [[0, 0], [2.5, 1.5], [5, 0], [7, -1.5], [8, 0]]}},
            "nod": {"duration": 0.9, "curves": {"ParamAngleY": [[0, 0], [0.25, -12], [0.5, 3], [0.7, -4], [0.9, 0]]}},
            "bow": {"duration": 1.6, "curves": {"ParamAngleY": [[0, 0], [0.5, -22], [1.1, -22], [1.6, 0]],
                                                 "ParamBodyAngleX": [[0, 0], [1.6, 0]]}},
            "wave": {"duration": 1.4, "curves": {"ParamAngleZ": [[0, 0], [0.3, 5], [0.6, -3], [0.9, 5], [1.4, 0]],
                                                 "ParamBodyAngleX": [[0, 0], [0.4, 3], [1.0, 3], [1.4, 0]]}},
        },
        "physics": [
            # Inputs: how many canvas pixels one unit of a parameter moves the ear (a head turn
            # of 30 degrees swings the ear ~9 cm, ~180 px at this canvas's ~2000 px per metre).
            {"id": "earrings", "inputs": {"ParamAngleX": round(6 * s, 3), "ParamAngleZ": round(5 * s, 3),
                                          "ParamBodyAngleX": round(8 * s, 3)},
             "output": "ParamEarringSwing", "length": 0.04, "damping": 3.0},
            {"id": "hair", "inputs": {"ParamAngleX": round(5 * s, 3), "ParamAngleZ": round(4 * s, 3),
                                      "ParamBodyAngleX": round(6 * s, 3)},
             "output": "ParamHairSwing", "length": 0.12, "damping": 4.0},
        ],
    }
    header = ("# Nova, edge-avatar's default guide: drawn by runtime/avatar/default_character.py.\n"
              "# An ordinary avatar pack (docs/avatar-pack.md); regenerate with `edge-avatar avatar build-default`.\n")
    return header + yaml.safe_dump(rig, sort_keys=False, allow_unicode=True)

