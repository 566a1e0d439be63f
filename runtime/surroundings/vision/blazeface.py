"""BlazeFace (MediaPipe face detection, full range) decoding: pure numpy, no I/O.

The model sees a 192x192 RGB image in [-1, 1] and scores 2304 anchors (a 48x48
grid, one anchor per cell, fixed size); each anchor's first four regressors are
the box centre offset and size in input pixels. Scores are logits. Overlapping
boxes are merged by score-weighted averaging (MediaPipe's weighted NMS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INPUT_SIZE = 192
GRID = 48
MIN_SCORE = 0.5
MERGE_IOU = 0.3


@dataclass(frozen=True)
class Face:
    """A face box in the camera image, each coordinate 0..1 of the image's width/height."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float

    @property
    def centre_x(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    def iou(self, other: "Face") -> float:
        ix = max(0.0, min(self.x1, other.x1) - max(self.x0, other.x0))
        iy = max(0.0, min(self.y1, other.y1) - max(self.y0, other.y0))
        inter = ix * iy
        union = (self.x1 - self.x0) * (self.y1 - self.y0) + (other.x1 - other.x0) * (other.y1 - other.y0) - inter
        return inter / union if union > 0 else 0.0


def anchors() -> np.ndarray:
    """[GRID*GRID, 2] anchor centres (x, y) in 0..1, row by row."""
    centres = (np.arange(GRID, dtype=np.float32) + 0.5) / GRID
    y, x = np.meshgrid(centres, centres, indexing="ij")
    return np.stack([x.ravel(), y.ravel()], axis=1)


_ANCHORS = anchors()


def letterbox(image: np.ndarray) -> tuple[np.ndarray, tuple[float, float, float]]:
    """RGB uint8 [H, W, 3] -> model input [1, 192, 192, 3] in [-1, 1] (aspect kept, padded), and
    (scale, pad_x, pad_y) to map boxes back. Nearest-neighbour resize: a camera frame needs no better."""
    h, w = image.shape[:2]
    scale = INPUT_SIZE / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    rows = np.minimum((np.arange(nh) / scale).astype(int), h - 1)
    cols = np.minimum((np.arange(nw) / scale).astype(int), w - 1)
    resized = image[rows][:, cols, :3]
    canvas = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.float32)
    py, px = (INPUT_SIZE - nh) // 2, (INPUT_SIZE - nw) // 2
    canvas[py:py + nh, px:px + nw] = resized.astype(np.float32) / 127.5 - 1.0
    return canvas[None], (scale, px, py)


def decode(regressors: np.ndarray, logits: np.ndarray, image_shape: tuple[int, int],
           transform: tuple[float, float, float], min_score: float = MIN_SCORE) -> list[Face]:
    """Model outputs ([1, 2304, 16], [1, 2304, 1]) -> faces in image coordinates, best first."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1), -100, 100)))
    keep = np.flatnonzero(scores >= min_score)
    if keep.size == 0:
        return []
    raw = regressors.reshape(-1, regressors.shape[-1])[keep, :4] / INPUT_SIZE
    cx = raw[:, 0] + _ANCHORS[keep, 0]
    cy = raw[:, 1] + _ANCHORS[keep, 1]
    half_w, half_h = raw[:, 2] / 2, raw[:, 3] / 2
    scale, px, py = transform
    h, w = image_shape
    to_x = lambda v: np.clip((v * INPUT_SIZE - px) / scale / w, 0.0, 1.0)  # noqa: E731
    to_y = lambda v: np.clip((v * INPUT_SIZE - py) / scale / h, 0.0, 1.0)  # noqa: E731
    boxes = np.stack([to_x(cx - half_w), to_y(cy - half_h), to_x(cx + half_w), to_y(cy + half_h)], axis=1)
    return merge(boxes, scores[keep])


def merge(boxes: np.ndarray, scores: np.ndarray, iou: float = MERGE_IOU) -> list[Face]:
    """Weighted non-maximum suppression: each cluster of overlapping boxes becomes one."""
    order = list(np.argsort(-scores))
    faces = []
    while order:
        best = Face(*boxes[order[0]], float(scores[order[0]]))
        cluster = [i for i in order if best.iou(Face(*boxes[i], 0.0)) > iou]
        weights = scores[cluster][:, None]
        box = (boxes[cluster] * weights).sum(axis=0) / weights.sum()
        faces.append(Face(*(float(v) for v in box), best.score))
        order = [i for i in order if i not in cluster]
    return faces
