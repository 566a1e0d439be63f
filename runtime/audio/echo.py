"""Acoustic echo cancellation: the avatar's own voice taken back out of the microphone.

`EchoCanceller.far(chunk)` is given what the speaker plays, when it plays it;
`near(chunk)` returns the microphone with that echo removed. Backends, chosen once:
`WebRtcEchoCanceller` (WebRTC's audio-processing module through the Apache-2.0
`livekit` package: AEC3 + high-pass, 10 ms frames at 16 kHz; its noise suppressor
off by default: it makes a crowd's level swing, which the level gate reads)
and `NullEchoCanceller` (pass-through: the test double, and the fallback when the
module is missing). Measured in bench/turn_taking.py.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from .chunk import PIPELINE_RATE, AudioChunk

_LOGGER = logging.getLogger(__name__)
RATE = PIPELINE_RATE
FRAME = 160   # 10 ms, what the WebRTC module processes


class EchoCanceller(Protocol):
    name: str

    def far(self, chunk: AudioChunk) -> None:
        """Audio the speaker is playing now (any rate; mono or not)."""

    def near(self, chunk: AudioChunk) -> AudioChunk:
        """Microphone audio (16 kHz mono int16) with the echo removed."""


class NullEchoCanceller:
    name = "none"

    def far(self, chunk: AudioChunk) -> None:
        pass

    def near(self, chunk: AudioChunk) -> AudioChunk:
        return chunk


class WebRtcEchoCanceller:
    """WebRTC AEC3 via livekit.rtc.AudioProcessingModule (its Rust/C++ core, no network use)."""

    name = "webrtc-aec3"

    def __init__(self, delay_ms: int = 20, noise_suppression: bool = False):
        from livekit import rtc  # noqa: PLC0415 (optional dependency, chosen once)
        self._rtc = rtc
        self._apm = rtc.AudioProcessingModule(echo_cancellation=True, noise_suppression=noise_suppression,
                                              high_pass_filter=True, auto_gain_control=False)
        self._apm.set_stream_delay_ms(delay_ms)
        self._far = np.zeros(0, dtype=np.int16)
        self._near = np.zeros(0, dtype=np.int16)
        self._near_t: float | None = None

    def far(self, chunk: AudioChunk) -> None:
        mono = chunk.converted(rate=RATE, channels=1)
        self._far = np.concatenate([self._far, np.frombuffer(mono.audio, dtype=np.int16)])

    def near(self, chunk: AudioChunk) -> AudioChunk:
        if chunk.rate != RATE or chunk.channels != 1:
            chunk = chunk.converted(rate=RATE, channels=1)
        if self._near_t is None or not self._near.size:
            self._near_t = chunk.timestamp
        self._near = np.concatenate([self._near, np.frombuffer(chunk.audio, dtype=np.int16)])
        out = []
        while self._near.size >= FRAME:
            far, self._far = (self._far[:FRAME], self._far[FRAME:]) if self._far.size >= FRAME else \
                (np.zeros(FRAME, dtype=np.int16), self._far[:0])
            ref = self._rtc.AudioFrame(far.tobytes(), RATE, 1, FRAME)
            self._apm.process_reverse_stream(ref)
            frame = self._rtc.AudioFrame(self._near[:FRAME].tobytes(), RATE, 1, FRAME)
            self._apm.process_stream(frame)
            out.append(np.frombuffer(bytes(frame.data), dtype=np.int16))
            self._near = self._near[FRAME:]
        data = np.concatenate(out) if out else np.zeros(0, dtype=np.int16)
        start = self._near_t if self._near_t is not None else chunk.timestamp
        self._near_t = start + data.size / RATE
        return AudioChunk(RATE, 2, 1, data.tobytes(), start)


def make_echo_canceller(name: str) -> EchoCanceller:
    """`webrtc` (default) or `none`; a missing module falls back to none, loudly."""
    if name == "none":
        return NullEchoCanceller()
    try:
        canceller: EchoCanceller = WebRtcEchoCanceller()
    except ImportError as err:
        _LOGGER.warning("echo cancellation unavailable (%s): barge-in relies on the reference gate alone", err)
        return NullEchoCanceller()
    _LOGGER.info("echo canceller: %s", canceller.name)
    return canceller
