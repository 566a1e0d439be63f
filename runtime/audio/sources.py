"""Audio sources: an audio file or a microphone, behind one Protocol.

A source yields AudioChunks at the pipeline's rate (16 kHz mono, 16-bit),
timestamped on the input time line, and tells the current time on that line.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Iterator, Protocol

from runtime.shared.errors import AudioInputError

from .audio_files import read_audio_file, read_wav
from .chunk import PIPELINE_RATE, AudioChunk

__all__ = ["CHUNK_SECONDS", "AudioFileSource", "AudioSource", "WavFileSource", "read_audio_file", "read_wav"]

_LOGGER = logging.getLogger(__name__)

CHUNK_SECONDS = 0.032  # 512 samples at 16 kHz: one Silero VAD window

Clock = Callable[[], float]


class AudioSource(Protocol):
    """Where visitor audio comes from."""

    name: str

    def chunks(self) -> Iterator[AudioChunk]:
        """Chunks in order; ends when the source is exhausted or closed."""
        ...

    def now(self) -> float:
        """The current time on the input time line, in seconds."""
        ...

    def close(self) -> None: ...


class WavFileSource:
    """Plays an audio file into the pipeline, converted once to 16 kHz mono.

    Any file libsndfile reads (`read_audio_file`): WAV of any common sub-format,
    FLAC, OGG/Vorbis; any rate, channels averaged. A plain 16 kHz mono 16-bit
    WAV is played as its bytes.

    `paced=True` hands out each chunk when its last sample would have arrived
    from a microphone (real time); `paced=False` as fast as the pipeline takes
    them. Either way `now()` is comparable with chunk timestamps: fast mode
    adds the wall time spent since the last chunk, so compute cost shows.
    """

    def __init__(self, path: Path, *, paced: bool, trailing_silence: float = 1.0,
                 chunk_seconds: float = CHUNK_SECONDS, clock: Clock = time.perf_counter):
        self.name = f"wav:{path}"
        decoded = read_audio_file(Path(path), PIPELINE_RATE)
        audio = decoded.audio
        if audio.frames == 0:
            raise AudioInputError(f"{path}: the audio file holds no audio (0 frames)")
        pad = AudioChunk.silence(trailing_silence, PIPELINE_RATE)
        self._audio = AudioChunk(PIPELINE_RATE, 2, 1, audio.audio + pad.audio, 0.0)
        self.duration = audio.seconds
        self._paced = paced
        self._chunk_frames = int(round(chunk_seconds * PIPELINE_RATE))
        self._clock = clock
        self._start_wall: float | None = None
        self._last_end = 0.0
        self._last_wall = 0.0
        self._closed = False
        _LOGGER.info("audio source: %s (%.2f s, %s %d Hz %d ch originally, %s)", path, audio.seconds,
                     decoded.kind, decoded.rate, decoded.channels, "real time" if paced else "fast")

    def chunks(self) -> Iterator[AudioChunk]:
        self._start_wall = self._clock()
        total = self._audio.frames
        for start in range(0, total, self._chunk_frames):
            if self._closed:
                return
            chunk = self._audio.slice(start, start + self._chunk_frames)
            if self._paced:
                delay = self._start_wall + chunk.end - self._clock()
                if delay > 0:
                    time.sleep(delay)
            self._last_end = chunk.end
            self._last_wall = self._clock()
            yield chunk

    def now(self) -> float:
        if self._start_wall is None:
            return 0.0
        if self._paced:
            return self._clock() - self._start_wall
        return self._last_end + (self._clock() - self._last_wall)

    def close(self) -> None:
        self._closed = True


AudioFileSource = WavFileSource   # the same class: it reads any audio file, not only WAV
