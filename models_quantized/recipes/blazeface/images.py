"""Camera-like test images made here, with the true face box of each.

Two photographs that ship inside scikit-image (astronaut: NASA, public domain;
camera: CC0) are scaled, moved, mirrored, re-lit and noised onto backgrounds
(other scikit-image photos) the way a kiosk camera sees a visitor at 0.5-3 m;
frames with no face at all (coffee, a cat, bricks, grass, a rocket…) count
false detections. The true box of each source face is the float model's box on
the untouched photograph, carried through the same transform.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FACES = ("astronaut", "camera")
BACKGROUNDS = ("coffee", "chelsea", "brick", "grass", "gravel", "rocket", "horse", "page", "hubble_deep_field")
FRAME = (480, 640)   # a VGA camera frame


@dataclass(frozen=True)
class Sample:
    image: np.ndarray                      # RGB uint8 [480, 640, 3]
    box: tuple[float, float, float, float] | None   # true face box (0..1), None: no face
    partial: bool = False                  # the face is mostly out of the frame: not scored


def _rgb(image: np.ndarray) -> np.ndarray:
    image = image[..., :3] if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
    return image.astype(np.uint8)


def _resize(image: np.ndarray, h: int, w: int) -> np.ndarray:
    rows = np.minimum((np.arange(h) * image.shape[0] / h).astype(int), image.shape[0] - 1)
    cols = np.minimum((np.arange(w) * image.shape[1] / w).astype(int), image.shape[1] - 1)
    return image[rows][:, cols]


def load_photos():
    import skimage.data as data
    faces = {n: _rgb(getattr(data, n)()) for n in FACES}
    backgrounds = {n: _rgb(np.asarray(getattr(data, n)(), dtype=np.uint8) * (255 if n == "horse" else 1))
                   for n in BACKGROUNDS}
    return faces, backgrounds


def make_samples(faces: dict, face_boxes: dict, backgrounds: dict, count: int, seed: int,
                 negatives: int) -> list[Sample]:
    rng = np.random.default_rng(seed)
    H, W = FRAME
    out = []
    names = sorted(faces)
    for i in range(count):
        name = names[i % len(names)]
        photo = faces[name]
        x0, y0, x1, y1 = face_boxes[name]
        face_px = rng.uniform(0.10, 0.40) * W              # face width in the frame
        scale = face_px / ((x1 - x0) * photo.shape[1])
        ph, pw = max(8, int(photo.shape[0] * scale)), max(8, int(photo.shape[1] * scale))
        pasted = _resize(photo, ph, pw)
        if rng.random() < 0.5:
            pasted = pasted[:, ::-1]
            x0, x1 = 1 - x1, 1 - x0
        canvas = _resize(backgrounds[BACKGROUNDS[rng.integers(len(BACKGROUNDS))]], H, W).astype(np.float32)
        fx, fy = rng.uniform(0.05, 0.95), rng.uniform(0.25, 0.6)  # where the face centre lands
        left = int(fx * W - ((x0 + x1) / 2) * pw)
        top = int(fy * H - ((y0 + y1) / 2) * ph)
        sy0, sx0 = max(0, -top), max(0, -left)
        dy0, dx0 = max(0, top), max(0, left)
        hh, ww = min(ph - sy0, H - dy0), min(pw - sx0, W - dx0)
        canvas[dy0:dy0 + hh, dx0:dx0 + ww] = pasted[sy0:sy0 + hh, sx0:sx0 + ww]
        canvas = canvas * rng.uniform(0.6, 1.3) + rng.uniform(-25, 25) + rng.normal(0, rng.uniform(0, 8), canvas.shape)
        box = ((left + x0 * pw) / W, (top + y0 * ph) / H, (left + x1 * pw) / W, (top + y1 * ph) / H)
        clipped = (max(0.0, box[0]), max(0.0, box[1]), min(1.0, box[2]), min(1.0, box[3]))
        visible = ((clipped[2] - clipped[0]) * (clipped[3] - clipped[1])) / ((box[2] - box[0]) * (box[3] - box[1]))
        out.append(Sample(np.clip(canvas, 0, 255).astype(np.uint8), clipped, partial=visible <= 0.8))
    for i in range(negatives):
        bg = backgrounds[BACKGROUNDS[i % len(BACKGROUNDS)]]
        canvas = _resize(bg, H, W).astype(np.float32) * rng.uniform(0.7, 1.2) + rng.normal(0, 4, (H, W, 3))
        out.append(Sample(np.clip(canvas, 0, 255).astype(np.uint8), None))
    return out
