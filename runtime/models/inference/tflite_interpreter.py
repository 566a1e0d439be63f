"""LiteRT and tflite-runtime: the same Interpreter API from two packages.

`ai-edge-litert` is the default (Python 3.10–3.13, numpy 2, x86_64 and
aarch64); `tflite-runtime` 2.14 is what older board images have (numpy < 2,
Python ≤ 3.11). Neither is imported until a backend is chosen.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import numpy as np

from runtime.shared.errors import ModelError

from .base import TensorSpec

_LOGGER = logging.getLogger(__name__)

_MODULES = {"litert": "ai_edge_litert.interpreter", "tflite-runtime": "tflite_runtime.interpreter"}


def _spec(detail: dict) -> TensorSpec:
    scale, zero_point = detail.get("quantization", (0.0, 0))
    return TensorSpec(name=str(detail["name"]), shape=tuple(int(d) for d in detail["shape"]),
                      dtype=np.dtype(detail["dtype"]).name, scale=float(scale), zero_point=int(zero_point))


class TfliteModel:
    """One interpreter; `run` is not re-entrant (one caller thread per model)."""

    def __init__(self, interpreter, path: Path):
        self._interp = interpreter
        self.path = path
        self._in = interpreter.get_input_details()
        self._out = interpreter.get_output_details()
        self.inputs = tuple(_spec(d) for d in self._in)
        self.outputs = tuple(_spec(d) for d in self._out)

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        if len(inputs) != len(self.inputs):
            raise ValueError(f"{self.path.name}: {len(self.inputs)} input(s) expected, got {len(inputs)}")
        for detail, spec, x in zip(self._in, self.inputs, inputs):
            x = np.asarray(x)
            if x.shape != spec.shape:
                raise ValueError(f"{self.path.name}: input {spec.name} has shape {spec.shape}, got {x.shape}")
            self._interp.set_tensor(detail["index"], spec.quantize(x))
        self._interp.invoke()
        return [spec.dequantize(self._interp.get_tensor(d["index"])) for d, spec in zip(self._out, self.outputs)]


class TfliteBackend:
    """`name` is "litert" or "tflite-runtime"; `available()` says whether its package imports."""

    def __init__(self, name: str):
        if name not in _MODULES:
            raise ValueError(f"unknown TFLite backend {name!r} (known: {', '.join(_MODULES)})")
        self.name = name
        self._module = None

    def available(self) -> bool:
        try:
            self._interpreter_module()
        except ImportError:
            return False
        return True

    def _interpreter_module(self):
        if self._module is None:
            self._module = importlib.import_module(_MODULES[self.name])
        return self._module

    @property
    def version(self) -> str:
        top = importlib.import_module(_MODULES[self.name].split(".")[0])
        return str(getattr(top, "__version__", "?"))

    def load(self, path: Path, threads: int = 1) -> TfliteModel:
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"{path}: TFLite model file not found")
        try:
            interp = self._interpreter_module().Interpreter(model_path=str(path), num_threads=threads)
            interp.allocate_tensors()
        except (ValueError, RuntimeError) as err:
            raise ModelError(f"{path}: not a loadable TFLite model for {self.name} ({err})") from err
        return TfliteModel(interp, path)
