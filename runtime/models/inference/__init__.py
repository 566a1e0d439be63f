"""On-device inference for the kiosk's own int8 TFLite models.

`base` is the small Protocol every backend meets; `tflite_interpreter` runs a
model with LiteRT (`ai-edge-litert`, the default) or `tflite-runtime` (older
board images); `fake` is the test double. `choose_backend` picks one at start-up
and logs which.
"""

from .base import InferenceBackend, LoadedModel, TensorSpec
from .selection import BACKENDS, choose_backend

__all__ = ["BACKENDS", "InferenceBackend", "LoadedModel", "TensorSpec", "choose_backend"]
