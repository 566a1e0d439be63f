"""Audio sinks: speaker, WAV file or nothing, behind one Protocol.

A sink owns the output time line. `play()` queues a chunk and answers when its
first sample will be heard, in seconds on the session time line: this is the
clock the avatar's mouth follows. `stop()` drops what is queued (barge-in).
"""

from __future__ import annotations

import logging
import threading
import wave
from pathlib import Path
from typing import Protocol

import numpy as np

from runtime.rights.file_labels import FileLabeller
from runtime.shared.errors import AudioOutputError

from .chunk import AudioChunk

_LOGGER = logging.getLogger(__name__)


class AudioSink(Protocol):
    name: str
    rate: int

    def play(self, chunk: AudioChunk, now: float) -> float:
        """Queue `chunk`; return the session time its first sample is heard."""
        ...

    def busy_until(self) -> float:
        """Session time at which everything queued so far has been heard."""
        ...

    def stop(self, now: float) -> float:
        """Drop queued audio; return the session time playback actually stops."""
        ...

    def close(self) -> None: ...


class OutputTimeline:
    """Pure bookkeeping of when queued audio plays on a sink's time line."""

    def __init__(self, latency: float = 0.0):
        self.latency = latency
        self.end = 0.0

    def schedule(self, seconds: float, now: float) -> float:
        start = max(now + self.latency, self.end)
        self.end = start + seconds
        return start

    def cut(self, now: float) -> float:
        stop_at = min(self.end, now + self.latency)
        self.end = stop_at
        return stop_at


class NullSink:
    """Discards audio but keeps time, as if a speaker were playing it."""

    def __init__(self, rate: int = 22050):
        self.name = "null"
        self.rate = rate
        self._timeline = OutputTimeline()

    def play(self, chunk: AudioChunk, now: float) -> float:
        return self._timeline.schedule(chunk.seconds, now)

    def busy_until(self) -> float:
        return self._timeline.end

    def stop(self, now: float) -> float:
        return self._timeline.cut(now)

    def close(self) -> None:
        pass


class WavFileSink:
    """Records what a speaker would play, on the session time line.

    The file starts at session time 0: silence fills the gaps between answers,
    so sample positions in the file are times on the input's time line too.
    """

    def __init__(self, path: Path, rate: int = 22050, labeller: FileLabeller | None = None):
        self.name = f"wav:{path}"
        self.labeller = labeller or FileLabeller.from_env()    # the implicit AI label (docs/rights.md)
        self.rate = rate
        self.path = Path(path)
        self._timeline = OutputTimeline()
        self._pieces: list[tuple[float, np.ndarray]] = []
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "wb"):
                pass
        except OSError as err:
            raise AudioOutputError(f"{path}: cannot write the output WAV ({err.strerror})") from err
        _LOGGER.info("audio sink: %s at %d Hz", path, rate)

    def play(self, chunk: AudioChunk, now: float) -> float:
        audio = chunk.converted(rate=self.rate, channels=1).samples()
        with self._lock:
            start = self._timeline.schedule(len(audio) / self.rate, now)
            self._pieces.append((start, audio))
        return start

    def busy_until(self) -> float:
        return self._timeline.end

    def stop(self, now: float) -> float:
        with self._lock:
            stop_at = self._timeline.cut(now)
            kept = []
            for start, audio in self._pieces:
                keep = int(round((stop_at - start) * self.rate))
                if keep > 0:
                    kept.append((start, audio[:keep]))
            self._pieces = kept
        return stop_at

    def close(self) -> None:
        with self._lock:
            total = int(round(self._timeline.end * self.rate))
            out = np.zeros(total, dtype=np.int16)
            for start, audio in self._pieces:
                i = int(round(start * self.rate))
                n = min(len(audio), total - i)
                if n > 0:
                    out[i:i + n] = audio[:n]
        try:
            part = self.path.with_name(f".{self.path.name}.part")
            with wave.open(str(part), "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(self.rate)
                wav.writeframes(out.astype("<i2").tobytes())
            self.labeller.label_file(part, self.path)      # appears under its name only labelled
        except OSError as err:
            raise AudioOutputError(f"{self.path}: cannot write the output WAV ({err.strerror})") from err
