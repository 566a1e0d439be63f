"""`AudioChunk`: audio that describes itself (rate, width, channels, timestamp).

All audio inside the runtime travels as AudioChunk. Format conversion happens
only at the boundary (a file read, a device opened) through `converted()`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soxr

PCM16_WIDTH = 2
_INT16_MAX = 32767.0


PIPELINE_RATE = 16000   # every chunk between the microphone and the recogniser is 16 kHz mono int16


@dataclass(frozen=True)
class AudioChunk:
    """A piece of PCM audio.

    `timestamp` is the time of the first sample, in seconds, on the time line
    of the stream the chunk belongs to (input or output).
    """

    rate: int
    width: int
    channels: int
    audio: bytes
    timestamp: float = 0.0

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"AudioChunk.rate must be > 0, got {self.rate}")
        if self.width not in (1, 2, 4):
            raise ValueError(f"AudioChunk.width must be 1, 2 or 4 bytes, got {self.width}")
        if self.channels <= 0:
            raise ValueError(f"AudioChunk.channels must be > 0, got {self.channels}")
        if len(self.audio) % (self.width * self.channels):
            raise ValueError("AudioChunk.audio length is not a whole number of frames")

    @property
    def frames(self) -> int:
        return len(self.audio) // (self.width * self.channels)

    @property
    def seconds(self) -> float:
        return self.frames / self.rate

    @property
    def end(self) -> float:
        return self.timestamp + self.seconds

    def samples(self) -> np.ndarray:
        """Samples as int16, shape (frames,) for mono or (frames, channels)."""
        if self.width != PCM16_WIDTH:
            raise ValueError("samples() needs 16-bit audio; call converted() first")
        data = np.frombuffer(self.audio, dtype="<i2")
        if self.channels > 1:
            data = data.reshape(-1, self.channels)
        return data

    def rms(self) -> float:
        x = self.float_samples()
        return float(np.sqrt(np.mean(x * x))) if x.size else 0.0

    def float_samples(self) -> np.ndarray:
        """Mono float32 samples in [-1, 1]."""
        return self.converted(channels=1).samples().astype(np.float32) / _INT16_MAX

    @classmethod
    def from_float(cls, samples: np.ndarray, rate: int, timestamp: float = 0.0) -> "AudioChunk":
        """Mono float samples in [-1, 1] to a 16-bit chunk."""
        pcm = np.clip(np.asarray(samples, dtype=np.float32) * _INT16_MAX, -_INT16_MAX, _INT16_MAX)
        return cls(rate, PCM16_WIDTH, 1, pcm.astype("<i2").tobytes(), timestamp)

    @classmethod
    def silence(cls, seconds: float, rate: int, timestamp: float = 0.0) -> "AudioChunk":
        return cls(rate, PCM16_WIDTH, 1, bytes(int(round(seconds * rate)) * PCM16_WIDTH), timestamp)

    def converted(self, rate: int | None = None, width: int = PCM16_WIDTH,
                  channels: int | None = None) -> "AudioChunk":
        """Return this chunk as 16-bit PCM at `rate` with `channels`.

        Whole-chunk conversion (soxr, high quality): use it at a boundary on a
        whole file or a whole synthesised sentence, not on tiny stream pieces.
        """
        if width != PCM16_WIDTH:
            raise ValueError("only 16-bit output is supported")
        rate = rate or self.rate
        channels = channels or self.channels
        if (rate, width, channels) == (self.rate, self.width, self.channels):
            return self
        data = _to_float_frames(self)
        if channels == 1 and data.shape[1] > 1:
            data = data.mean(axis=1, keepdims=True)
        elif channels > 1 and data.shape[1] == 1:
            data = np.repeat(data, channels, axis=1)
        elif data.shape[1] != channels:
            raise ValueError(f"cannot map {data.shape[1]} channels to {channels}")
        if rate != self.rate and len(data):
            data = soxr.resample(data, self.rate, rate, quality="HQ")
        pcm = np.clip(np.round(data * _INT16_MAX), -_INT16_MAX, _INT16_MAX).astype("<i2")
        return AudioChunk(rate, PCM16_WIDTH, channels, pcm.tobytes(), self.timestamp)

    def slice(self, start_frame: int, end_frame: int) -> "AudioChunk":
        """Frames [start_frame, end_frame) as a new chunk with its own timestamp."""
        step = self.width * self.channels
        start_frame = max(0, start_frame)
        end_frame = min(self.frames, end_frame)
        return AudioChunk(self.rate, self.width, self.channels,
                          self.audio[start_frame * step:end_frame * step],
                          self.timestamp + start_frame / self.rate)


def _to_float_frames(chunk: AudioChunk) -> np.ndarray:
    if chunk.width == 2:
        data = np.frombuffer(chunk.audio, dtype="<i2").astype(np.float32) / 32768.0
    elif chunk.width == 1:  # WAV 8-bit is unsigned
        data = (np.frombuffer(chunk.audio, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    else:
        data = np.frombuffer(chunk.audio, dtype="<i4").astype(np.float32) / 2147483648.0
    return data.reshape(-1, chunk.channels)


def concat(chunks: list[AudioChunk]) -> AudioChunk:
    """Join chunks of one format into one chunk stamped with the first's time."""
    if not chunks:
        raise ValueError("concat() needs at least one chunk")
    first = chunks[0]
    for c in chunks[1:]:
        if (c.rate, c.width, c.channels) != (first.rate, first.width, first.channels):
            raise ValueError("concat() needs chunks of one format")
    return AudioChunk(first.rate, first.width, first.channels,
                      b"".join(c.audio for c in chunks), first.timestamp)
