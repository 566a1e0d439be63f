"""Choose the TFLite backend once at start-up, and log which (and why)."""

from __future__ import annotations

import logging
import os

from runtime.shared.errors import ModelError

from .tflite_interpreter import TfliteBackend

_LOGGER = logging.getLogger(__name__)
BACKENDS = ("litert", "tflite-runtime")
ENV_VAR = "EDGE_AVATAR_TFLITE_BACKEND"


def choose_backend(preference: str = "auto") -> TfliteBackend:
    """`auto`: LiteRT, else tflite-runtime. A named backend that is not installed is an error.

    The environment variable EDGE_AVATAR_TFLITE_BACKEND overrides `auto` (CI runs the suite
    once per backend with it)."""
    if preference == "auto":
        preference = os.environ.get(ENV_VAR, "auto") or "auto"
    names = BACKENDS if preference == "auto" else (preference,)
    if preference != "auto" and preference not in BACKENDS:
        raise ModelError(f"tflite backend {preference!r}: expected one of auto, {', '.join(BACKENDS)}")
    for name in names:
        backend = TfliteBackend(name)
        if backend.available():
            _LOGGER.info("inference backend: %s %s%s", name, backend.version,
                         "" if preference == "auto" else " (asked for)")
            return backend
    raise ModelError(f"no TFLite runtime: install ai-edge-litert (or tflite-runtime on Python <= 3.11 "
                     f"with numpy < 2); tried {', '.join(names)}")
