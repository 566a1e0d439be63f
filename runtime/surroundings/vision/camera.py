"""Cameras behind one Protocol: OpenCV (USB webcams, Jetson), picamera2 (Raspberry Pi
camera modules), and a test double. Both real ones are optional dependencies: a kiosk
without them (or without a camera) runs on its presence sensor alone.

A frame is an RGB uint8 array, used for one detection and dropped: no image is ever
written anywhere.
"""

from __future__ import annotations

import logging
from typing import Iterator, Protocol

import numpy as np

from runtime.shared.errors import EdgeAvatarError

_LOGGER = logging.getLogger(__name__)


class CameraError(EdgeAvatarError):
    """The camera cannot be opened or stopped delivering frames."""


class Camera(Protocol):
    name: str

    def read(self) -> np.ndarray | None:
        """The newest RGB frame, or None when none came (the caller retries later)."""
        ...

    def close(self) -> None: ...


class OpenCvCamera:
    def __init__(self, index: int = 0, width: int = 640, height: int = 480):
        try:
            import cv2
        except ImportError as err:
            raise CameraError("camera: OpenCV is not installed (pip install opencv-python-headless)") from err
        self._cv2 = cv2
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            raise CameraError(f"camera: /dev/video{index} cannot be opened")
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)   # the newest frame, not a queue of old ones
        self.name = f"opencv:/dev/video{index}"

    def read(self) -> np.ndarray | None:
        ok, frame = self._cap.read()
        return self._cv2.cvtColor(frame, self._cv2.COLOR_BGR2RGB) if ok else None

    def close(self) -> None:
        self._cap.release()


class Picamera2Camera:
    def __init__(self, width: int = 640, height: int = 480):
        try:
            from picamera2 import Picamera2
        except ImportError as err:
            raise CameraError("camera: picamera2 is not installed (apt install python3-picamera2)") from err
        try:
            self._cam = Picamera2()
            self._cam.configure(self._cam.create_video_configuration(main={"size": (width, height),
                                                                             "format": "RGB888"}))
            self._cam.start()
        except Exception as err:   # libcamera raises RuntimeError/IndexError with no camera attached
            raise CameraError(f"camera: no Raspberry Pi camera module ({type(err).__name__}: {err})") from err
        self.name = "picamera2"

    def read(self) -> np.ndarray | None:
        frame = self._cam.capture_array()
        return frame[..., ::-1] if frame is not None else None   # libcamera's RGB888 is BGR in memory

    def close(self) -> None:
        self._cam.stop()


class StillFramesCamera:
    """Test double: plays a list of frames (None = a dropped frame), then repeats the last."""

    def __init__(self, frames: list[np.ndarray | None], name: str = "still-frames"):
        self._frames: Iterator[np.ndarray | None] = iter(frames)
        self._last = frames[-1] if frames else None
        self.name = name
        self.closed = False

    def read(self) -> np.ndarray | None:
        return next(self._frames, self._last)

    def close(self) -> None:
        self.closed = True


def open_camera(kind: str) -> Camera:
    """`picamera2`, `opencv[:INDEX]` or `auto` (picamera2, then OpenCV device 0)."""
    if kind == "picamera2":
        return Picamera2Camera()
    if kind.startswith("opencv"):
        index = int(kind.split(":", 1)[1]) if ":" in kind else 0
        return OpenCvCamera(index)
    if kind != "auto":
        raise CameraError(f"--camera: expected auto, picamera2 or opencv[:INDEX], got {kind!r}")
    errors = []
    for make in (Picamera2Camera, OpenCvCamera):
        try:
            return make()
        except CameraError as err:
            errors.append(str(err))
    raise CameraError("; ".join(errors))
