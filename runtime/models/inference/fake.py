"""Test double: a 'model' that is a numpy function, with the same int8 round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from .base import TensorSpec


class FakeModel:
    def __init__(self, fn: Callable[[np.ndarray], np.ndarray], inputs: tuple[TensorSpec, ...],
                 outputs: tuple[TensorSpec, ...]):
        self._fn = fn
        self.inputs = inputs
        self.outputs = outputs
        self.calls = 0

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        self.calls += 1
        x = self.inputs[0].dequantize(self.inputs[0].quantize(inputs[0]))
        out = self.outputs[0]
        return [out.dequantize(out.quantize(self._fn(x)))]


class FakeBackend:
    """Loads any path as the model it was given (or one per file name)."""

    name = "fake"

    def __init__(self, models: dict[str, FakeModel]):
        self._models = models
        self.loaded: list[tuple[Path, int]] = []

    def available(self) -> bool:
        return True

    def load(self, path: Path, threads: int = 1) -> FakeModel:
        self.loaded.append((Path(path), threads))
        return self._models[Path(path).name]
