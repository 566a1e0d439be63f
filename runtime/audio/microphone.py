"""PyAudio microphone source: 16 kHz mono 16-bit, a bounded queue of chunks."""

from __future__ import annotations

import logging
import queue
import time
from typing import Iterator

from ..errors import AudioInputError
from .chunk import AudioChunk
from .devices import close_stream, pick_device, quiet_stderr
from .sources import CHUNK_SECONDS, PIPELINE_RATE, Clock

_LOGGER = logging.getLogger(__name__)
_QUEUE_CHUNKS = 64  # ~2 s of audio; older chunks are dropped (and counted) beyond that


class MicrophoneSource:
    """Captures from the default (or a named) input device via PortAudio."""

    def __init__(self, device: str | None = None, clock: Clock = time.perf_counter):
        try:
            import pyaudio
        except ImportError as err:
            raise AudioInputError("microphone: the pyaudio package is not installed") from err
        with quiet_stderr():
            self._pa = pyaudio.PyAudio()
        index = pick_device(self._pa, device, output=False)
        if index is None:
            self._pa.terminate()
            raise AudioInputError("microphone: no audio input device found" +
                                  (f" named like {device!r}" if device else " (use --input FILE.wav)"))
        self.name = f"mic:{self._pa.get_device_info_by_index(index)['name']}"
        self._queue: queue.Queue[AudioChunk | None] = queue.Queue(maxsize=_QUEUE_CHUNKS)
        self._frames = 0
        self.dropped = 0
        self._clock = clock
        self._start = clock()
        self._anchor: float | None = None
        self._latency = 0.0
        frames_per_buffer = int(CHUNK_SECONDS * PIPELINE_RATE)
        try:
            self._stream = self._pa.open(
                format=pyaudio.paInt16, channels=1, rate=PIPELINE_RATE, input=True,
                input_device_index=index, frames_per_buffer=frames_per_buffer,
                stream_callback=self._on_audio, start=False)
        except OSError as err:
            self._pa.terminate()
            raise AudioInputError(f"microphone {self.name}: cannot open at 16 kHz mono ({err})") from err
        self._latency = self._stream.get_input_latency()
        self._stream.start_stream()
        _LOGGER.info("audio source: %s (input latency %.0f ms)", self.name, self._latency * 1000)

    def _on_audio(self, data, frame_count, _time_info, _status):
        import pyaudio
        if self._anchor is None:
            # Put sample time on the same line as now(): the first buffer's last sample was
            # captured one input latency ago.
            self._anchor = self.now() - self._latency - frame_count / PIPELINE_RATE
        chunk = AudioChunk(PIPELINE_RATE, 2, 1, data, self._anchor + self._frames / PIPELINE_RATE)
        self._frames += frame_count
        try:
            self._queue.put_nowait(chunk)
        except queue.Full:
            self.dropped += 1
        return (None, pyaudio.paContinue)

    def chunks(self) -> Iterator[AudioChunk]:
        while True:
            chunk = self._queue.get()
            if chunk is None:
                return
            yield chunk

    def now(self) -> float:
        return self._clock() - self._start

    def close(self) -> None:
        try:
            close_stream(self._pa, self._stream)
        finally:
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                self.dropped += 1  # the reader is gone or far behind; it stops at its next get
