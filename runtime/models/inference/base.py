"""The inference Protocol and the one place where int8 scales are applied.

A model takes and returns float32 arrays whatever it stores inside: an int8
tensor's (scale, zero point) turn floats into int8 on the way in and back on
the way out, here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int, ...]
    dtype: str                 # "int8", "uint8", "float32", …
    scale: float = 0.0         # 0: not quantized
    zero_point: int = 0

    @property
    def quantized(self) -> bool:
        return self.scale != 0.0 and self.dtype in ("int8", "uint8", "int16")

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """Float input → what the tensor stores (rounded, clipped to the integer range)."""
        if not self.quantized:
            return np.asarray(x, dtype=self.dtype)
        info = np.iinfo(self.dtype)
        q = np.round(np.asarray(x, dtype=np.float32) / self.scale) + self.zero_point
        return np.clip(q, info.min, info.max).astype(self.dtype)

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        """What the tensor stores → float32."""
        if not self.quantized:
            return np.asarray(q, dtype=np.float32)
        return (q.astype(np.float32) - self.zero_point) * np.float32(self.scale)


class LoadedModel(Protocol):
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Float arrays in (one per input, already in the input's shape), float arrays out."""
        ...


class InferenceBackend(Protocol):
    name: str

    def load(self, path: Path, threads: int = 1) -> LoadedModel:
        """Load a .tflite file; raise ModelError naming the file when it cannot."""
        ...
