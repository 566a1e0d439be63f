"""The optional visitor camera: int8 BlazeFace finds a visitor in a camera frame, the kiosk greets
once, looks where they stand, notices when they leave, and survives a camera that stops."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from runtime.models.inference import choose_backend
from runtime.models.manifest import ModelCatalog
from runtime.surroundings.presence import ActionKind, PresencePolicy
from runtime.surroundings.vision.blazeface import Face, decode, letterbox
from runtime.surroundings.vision.camera import CameraError, StillFramesCamera
from runtime.surroundings.vision.face_detector import MODEL_ID, load_face_detector
from runtime.surroundings.vision.visitor_camera import VisitorCamera
from runtime.surroundings.vision.visitor_tracker import VisitorTracker

DATA = Path(__file__).parent / "data"


def _frame(name: str) -> np.ndarray:
    import pygame
    surface = pygame.image.load(str(DATA / name))
    return pygame.surfarray.array3d(surface).transpose(1, 0, 2).copy()


@pytest.fixture(scope="module")
def detector():
    found = load_face_detector(ModelCatalog.load(), choose_backend())
    assert found is not None, f"the shipped {MODEL_ID} must load"
    return found


def test_the_int8_model_finds_the_visitor_and_nothing_in_an_empty_scene(detector):
    [face] = detector.detect(_frame("visitor_right.jpg"))
    # The face in the frame spans about x 0.78-0.92, y 0.15-0.40 of the image.
    assert 0.75 < face.x0 < 0.82 and 0.88 < face.x1 < 0.96 and 0.08 < face.y0 < 0.2 and face.score > 0.7
    assert detector.detect(_frame("no_visitor.jpg")) == []


def test_boxes_map_back_through_the_letterbox():
    image = np.zeros((480, 640, 3), np.uint8)
    x, (scale, px, py) = letterbox(image)
    assert x.shape == (1, 192, 192, 3) and px == 0 and py == 24 and scale == pytest.approx(0.3)
    regressors = np.zeros((1, 2304, 16), np.float32)
    logits = np.full((1, 2304, 1), -10.0, np.float32)
    anchor = 24 * 48 + 36                       # the anchor at x=0.76, y=0.51 of the 192 input
    regressors[0, anchor, 2:4] = 19.2          # a box 0.1 of the input wide and high
    logits[0, anchor, 0] = 5.0
    [face] = decode(regressors, logits, (480, 640), (scale, px, py))
    assert face.centre_x == pytest.approx(0.7604, abs=1e-3)
    assert (face.y0 + face.y1) / 2 == pytest.approx((0.5104 * 192 - 24) / 0.3 / 480, abs=1e-3)
    assert face.width == pytest.approx(0.1, abs=1e-3)


def test_one_stray_detection_greets_nobody_and_a_turned_head_is_not_a_departure():
    tracker = VisitorTracker(arrive_frames=2, leave_s=2.0)
    face = Face(0.70, 0.2, 0.90, 0.45, 0.9)           # right of the camera's image
    assert tracker.update([face], 0.0) is None        # one frame: maybe a poster
    assert tracker.update([], 0.2) is None
    assert tracker.update([face], 0.4) is None
    arrived = tracker.update([face], 0.6)
    assert arrived.present and arrived.position == pytest.approx(-0.6)   # mirrored: the avatar's left
    assert tracker.update([], 1.0) is None and tracker.update([], 2.5) is None   # looked away
    assert tracker.update([Face(0.01, 0.3, 0.03, 0.33, 0.9)], 2.59) is None     # far passer-by, too small
    left = tracker.update([], 2.7)
    assert left is not None and not left.present


def test_the_camera_greets_once_looks_at_the_visitor_and_notices_them_leave(detector):
    visitor, empty = _frame("visitor_right.jpg"), _frame("no_visitor.jpg")
    camera = StillFramesCamera([empty] * 3 + [visitor] * 6 + [empty])
    posted: list[tuple[bool, float]] = []
    left = threading.Event()

    def post(present: bool, position: float) -> None:
        posted.append((present, position))
        if not present:
            left.set()
    runner = VisitorCamera(lambda: camera, detector, post, fps=50,
                           tracker=VisitorTracker(arrive_frames=2, leave_s=0.3)).start()
    try:
        assert left.wait(20), f"the visitor never left: {posted}"
    finally:
        runner.close()
    assert posted[0][0] is True and -0.8 < posted[0][1] < -0.6     # standing on the avatar's left
    assert posted[-1][0] is False
    policy = PresencePolicy()
    actions = [a for i, (present, x) in enumerate(posted) for a in policy.on_presence(present, float(i), x)]
    assert [a.kind for a in actions].count(ActionKind.GREET) == 1
    assert any(a.kind is ActionKind.LOOK_AT and a.value < -0.5 for a in actions)
    assert camera.closed


def test_a_camera_that_stops_is_reopened_and_one_that_cannot_open_is_retried(detector):
    opened = []

    def open_camera():
        opened.append(time.monotonic())
        if len(opened) == 1:
            raise CameraError("camera: /dev/video0 cannot be opened")
        return StillFramesCamera([None])                 # opens, then never delivers a frame
    runner = VisitorCamera(open_camera, detector, lambda *a: None, fps=100, lost_after_s=0.05,
                           reopen_every_s=0.05).start()
    deadline = time.monotonic() + 10
    while runner.reopened < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    runner.close()
    assert len(opened) >= 3 and runner.reopened >= 2


def test_a_camera_driver_error_is_logged_and_the_camera_reopened(detector, caplog):
    class Broken(StillFramesCamera):
        def read(self):
            raise OSError("VIDIOC_DQBUF: No such device")
    cameras = []

    def open_camera():
        cameras.append(Broken([]) if not cameras else StillFramesCamera([_frame("no_visitor.jpg")]))
        return cameras[-1]
    runner = VisitorCamera(open_camera, detector, lambda *a: None, fps=100, reopen_every_s=0.05).start()
    deadline = time.monotonic() + 10
    while runner.frames < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    runner.close()
    assert runner.frames >= 2 and cameras[0].closed
    assert "read failed; reopening it" in caplog.text and "VIDIOC_DQBUF" in caplog.text


def test_kiosk_settings_take_a_camera_and_refuse_nonsense(tmp_path):
    from runtime.composition.config import KioskConfig
    from runtime.composition.settings_file import load_settings
    from runtime.shared.errors import ConfigError
    from runtime.surroundings.vision.camera import open_camera
    settings = tmp_path / "settings.yaml"
    settings.write_text("camera: opencv:1\nvoice_precision: int8\n")
    cfg = load_settings(settings, KioskConfig())
    assert cfg.camera == "opencv:1" and cfg.voice_precision == "int8"
    settings.write_text("voice_precision: int4\n")
    with pytest.raises(ConfigError, match="voice_precision: expected auto, float or int8"):
        load_settings(settings, KioskConfig())
    with pytest.raises(CameraError, match="expected auto, picamera2 or opencv"):
        open_camera("webcam")
