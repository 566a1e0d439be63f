"""From face detections to 'a visitor is here, there' (pure: detections and time in).

A visitor arrives after being seen in `arrive_frames` consecutive frames (one
false detection greets nobody) and leaves after `leave_s` without a face (a head
turned away is not a departure). The position is the largest face's centre,
mirrored (the camera faces the visitor, the avatar looks back) and smoothed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .blazeface import Face


@dataclass(frozen=True)
class VisitorUpdate:
    present: bool
    position: float   # -1 (panel's left) .. 1 (right), as the avatar sees it


@dataclass
class VisitorTracker:
    arrive_frames: int = 2
    leave_s: float = 2.0
    min_face_width: float = 0.04     # smaller: someone far away walking past, not a visitor
    smoothing: float = 0.5
    present: bool = False
    position: float = 0.0
    _streak: int = 0
    _last_seen: float = -1e9

    def update(self, faces: list[Face], now: float) -> VisitorUpdate | None:
        """A change worth telling the kiosk about (arrival, departure, a move), else None."""
        near = [f for f in faces if f.width >= self.min_face_width]
        if near:
            face = max(near, key=lambda f: f.width)
            target = -(face.centre_x * 2.0 - 1.0)
            self._streak += 1
            self._last_seen = now
            moved = abs(target - self.position) > 0.1
            self.position += (target - self.position) * (1.0 - self.smoothing if self.present else 1.0)
            if not self.present and self._streak >= self.arrive_frames:
                self.present = True
                return VisitorUpdate(True, self.position)
            if self.present and moved:
                return VisitorUpdate(True, self.position)
            return None
        self._streak = 0
        if self.present and now - self._last_seen >= self.leave_s:
            self.present = False
            return VisitorUpdate(False, self.position)
        return None
