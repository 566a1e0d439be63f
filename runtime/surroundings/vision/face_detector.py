"""Faces in a camera frame with the int8 BlazeFace model, through the inference layer."""

from __future__ import annotations

import logging

import numpy as np

from runtime.models.inference.base import LoadedModel

from .blazeface import INPUT_SIZE, Face, decode, letterbox

_LOGGER = logging.getLogger(__name__)
MODEL_ID = "blazeface-full-range-int8"


class FaceDetector:
    def __init__(self, model: LoadedModel, min_score: float = 0.5):
        shape = tuple(model.inputs[0].shape)
        if shape != (1, INPUT_SIZE, INPUT_SIZE, 3):
            raise ValueError(f"face model input is {shape}, expected (1, {INPUT_SIZE}, {INPUT_SIZE}, 3)")
        self._model = model
        self.min_score = min_score
        names = [o.name for o in model.outputs]
        # Regressors have 16 values per anchor, scores 1: find them by shape, not by name.
        self._reg = next(i for i, o in enumerate(model.outputs) if o.shape[-1] == 16)
        self._cls = next(i for i, o in enumerate(model.outputs) if o.shape[-1] == 1)
        _LOGGER.debug("face model outputs: %s", names)

    def detect(self, rgb: np.ndarray) -> list[Face]:
        """RGB uint8 [H, W, 3] -> faces, best first. The frame is not kept."""
        x, transform = letterbox(rgb)
        outputs = self._model.run(x)
        return decode(outputs[self._reg], outputs[self._cls], rgb.shape[:2], transform, self.min_score)


def load_face_detector(catalog, backend, threads: int = 1) -> FaceDetector | None:
    from runtime.shared.errors import ModelError
    entry = catalog.by_id(MODEL_ID)
    if entry is None or not entry.available:
        _LOGGER.warning("camera: face model %s not installed; presence comes from the sensors only", MODEL_ID)
        return None
    try:
        catalog.verify(entry)
        return FaceDetector(backend.load(next(f.path for f in entry.files if f.path.suffix == ".tflite"), threads))
    except (ModelError, ValueError) as err:
        _LOGGER.error("camera: %s; presence comes from the sensors only", err)
        return None
