"""Audio → visemes with the int8 model, streaming, with a bounded look-ahead.

Each 10 ms frame is classified from 160 ms of past log-mel frames, the frame
and 2 frames of look-ahead: the shape shown from time t needs audio only up to
t + 37.5 ms, inside the ±20 ms lip-sync budget once the speaker's own output
delay (≥ 40 ms on every board we ship) is counted. Pure logic: audio and the
loaded model in, (time, viseme) keys out.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

import numpy as np

from runtime.models.inference.base import LoadedModel

from ..audio.chunk import AudioChunk
from .features import FLOOR, HOP, MELS, RATE, WINDOW, LogMelStream
from .visemes import VISEMES

_LOGGER = logging.getLogger(__name__)
PAST_FRAMES = 16
FUTURE_FRAMES = 2
CONTEXT = PAST_FRAMES + 1 + FUTURE_FRAMES
# A frame's key starts 5 ms before its window's centre (frames are 10 ms apart).
_KEY_OFFSET_S = (WINDOW / 2) / RATE - 0.005
LOOKAHEAD_S = (FUTURE_FRAMES * HOP + WINDOW) / RATE - _KEY_OFFSET_S
MODEL_ID = "audio-visemes-int8"


class AudioVisemeStream:
    """Push audio as it is played; get (t, viseme) for each frame whose look-ahead has arrived.

    `t` is seconds from the first sample pushed. `finish()` flushes the last frames
    (as if silence followed)."""

    def __init__(self, model: LoadedModel):
        spec = model.inputs[0]
        if tuple(spec.shape) != (1, CONTEXT, MELS):
            raise ValueError(f"audio-viseme model input is {spec.shape}, expected (1, {CONTEXT}, {MELS})")
        self._model = model
        self._mels = LogMelStream()
        silence = np.full((PAST_FRAMES, MELS), np.log(FLOOR), np.float32)
        self._context = silence          # frames not yet classified, with their past
        self._next = 0                   # index of the next frame to classify

    def push(self, samples16k: np.ndarray) -> list[tuple[float, str]]:
        frames = self._mels.push(samples16k)
        if len(frames):
            self._context = np.concatenate([self._context, frames])
        return self._classify_ready()

    def finish(self) -> list[tuple[float, str]]:
        pad = np.full((FUTURE_FRAMES, MELS), np.log(FLOOR), np.float32)
        self._context = np.concatenate([self._context, pad])
        return self._classify_ready()

    def _classify_ready(self) -> list[tuple[float, str]]:
        keys = []
        while len(self._context) >= CONTEXT:
            window = self._context[:CONTEXT]
            probs = self._model.run(window[None])[0][0]
            keys.append((self._next * HOP / RATE + _KEY_OFFSET_S, VISEMES[int(np.argmax(probs))]))
            self._next += 1
            self._context = self._context[1:]
        return keys


class AudioVisemes:
    """Viseme keys for a whole clip (a segment the synthesiser gave without phoneme times)."""

    def __init__(self, model: LoadedModel, name: str = MODEL_ID):
        self._model = model
        self.name = name
        AudioVisemeStream(model)  # checks the model's shape once, at start-up

    def keys(self, audio: AudioChunk) -> list[tuple[float, str]]:
        stream = AudioVisemeStream(self._model)
        x = audio.converted(rate=RATE, channels=1).float_samples()
        keys = stream.push(x)
        keys += stream.finish()
        return [(t, v) for t, v in keys if t < audio.seconds]


def load_audio_visemes(catalog, backend, threads: int = 1) -> AudioVisemes | None:
    """The model from the catalog, hash-checked, or None (and why, logged) when it is missing or
    refused: the mouth then follows loudness, as before."""
    from runtime.shared.errors import ModelError
    entry = next((e for e in catalog.entries if e.id == MODEL_ID), None)
    if entry is None or not entry.available:
        _LOGGER.warning("lip sync from audio: model %s not installed; the mouth follows loudness", MODEL_ID)
        return None
    try:
        catalog.verify(entry)
        path = next(f.path for f in entry.files if f.path.suffix == ".tflite")
        model = AudioVisemes(backend.load(path, threads), f"{MODEL_ID} on {backend.name}")
    except (ModelError, ValueError) as err:
        _LOGGER.error("lip sync from audio: %s; the mouth follows loudness", err)
        return None
    _LOGGER.info("lip sync from audio: %s on %s (%d thread%s)", MODEL_ID, backend.name, threads,
                 "" if threads == 1 else "s")
    return model


class LoadedWhenNeeded:
    """`AudioVisemes` loaded the first time a segment without phoneme times is played. Piper and
    Kokoro give phoneme times, so a kiosk speaking with them never imports the TFLite runtime nor
    loads the model (12 MB resident); a fallback voice (espeak-ng) pays the load (~30 ms) on its first
    segment. `load` returns the model or None (why is logged): the mouth then follows loudness."""

    def __init__(self, load: Callable[[], AudioVisemes | None]):
        self.name = f"{MODEL_ID} (loaded for the first speech without phoneme times)"
        self._load = load
        self._lock = threading.Lock()
        self._model: AudioVisemes | None = None
        self._tried = False

    def keys(self, audio: AudioChunk) -> list[tuple[float, str]] | None:
        with self._lock:
            if not self._tried:
                self._tried = True
                try:
                    self._model = self._load()
                except Exception as err:  # a runtime or model that fails here must not stop the answer
                    _LOGGER.error("lip sync from audio: %s (%s: %s); the mouth follows loudness",
                                  MODEL_ID, type(err).__name__, err)
        return self._model.keys(audio) if self._model is not None else None
