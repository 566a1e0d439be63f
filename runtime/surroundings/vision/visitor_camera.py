"""The camera's thread: frame → faces → visitor updates for the presence policy.

Frames are read a few times a second, detected and dropped (never stored, never
sent). A camera that stops delivering is reopened every few seconds; meanwhile the
kiosk keeps its other presence sensors.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from .camera import Camera, CameraError
from .face_detector import FaceDetector
from .visitor_tracker import VisitorTracker

_LOGGER = logging.getLogger(__name__)


class VisitorCamera:
    def __init__(self, open_camera: Callable[[], Camera], detector: FaceDetector,
                 post: Callable[[bool, float], None], fps: float = 5.0,
                 tracker: VisitorTracker | None = None, clock: Callable[[], float] = time.monotonic,
                 lost_after_s: float = 3.0, reopen_every_s: float = 5.0):
        self._open = open_camera
        self._detector = detector
        self._post = post
        self._period = 1.0 / fps
        self.tracker = tracker or VisitorTracker()
        self._clock = clock
        self._lost_after_s = lost_after_s
        self._reopen_every_s = reopen_every_s
        self._stop = threading.Event()
        self.frames = 0
        self.reopened = 0
        self._thread = threading.Thread(target=self._run, name="visitor-camera", daemon=True)

    def start(self) -> "VisitorCamera":
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)

    def _run(self) -> None:
        camera: Camera | None = None
        last_frame = self._clock()
        while not self._stop.is_set():
            now = self._clock()
            if camera is None:
                camera = self._try_open()
                if camera is None:
                    self._stop.wait(self._reopen_every_s)
                    continue
                last_frame = now
            try:
                frame = camera.read()
            except Exception:   # a driver error must not end presence sensing: log, reopen
                _LOGGER.exception("camera %s: read failed; reopening it", camera.name)
                camera = self._reopen(camera)
                self._stop.wait(self._reopen_every_s)
                continue
            if frame is None:
                if now - last_frame >= self._lost_after_s:
                    _LOGGER.warning("camera %s: no frame for %.0f s; reopening it", camera.name, now - last_frame)
                    camera = self._reopen(camera)
                self._stop.wait(self._period)
                continue
            last_frame = now
            faces = self._detector.detect(frame)
            del frame                                  # no image is kept
            self.frames += 1
            update = self.tracker.update(faces, now)
            if update is not None:
                self._post(update.present, update.position)
            self._stop.wait(self._period)
        if camera is not None:
            camera.close()

    def _reopen(self, camera: Camera) -> None:
        try:
            camera.close()
        except Exception:
            _LOGGER.exception("camera %s: close failed", camera.name)
        self.reopened += 1
        return None

    def _try_open(self) -> Camera | None:
        try:
            camera = self._open()
        except CameraError as err:
            _LOGGER.warning("%s; trying again in %.0f s", err, self._reopen_every_s)
            return None
        _LOGGER.info("camera: %s, faces by %s", camera.name, type(self._detector).__name__)
        return camera
