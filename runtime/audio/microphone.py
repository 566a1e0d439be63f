"""PyAudio microphone source: 16 kHz mono 16-bit, a bounded queue of chunks."""

from __future__ import annotations

import logging
import queue
import time
from typing import Iterator

from ..errors import AudioInputError
from .chunk import AudioChunk
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
        self._pa = pyaudio.PyAudio()
        index = _find_input_device(self._pa, device)
        self.name = f"mic:{self._pa.get_device_info_by_index(index)['name']}"
        self._queue: queue.Queue[AudioChunk | None] = queue.Queue(maxsize=_QUEUE_CHUNKS)
        self._frames = 0
        self.dropped = 0
        self._clock = clock
        self._start = clock()
        frames_per_buffer = int(CHUNK_SECONDS * PIPELINE_RATE)
        try:
            self._stream = self._pa.open(
                format=pyaudio.paInt16, channels=1, rate=PIPELINE_RATE, input=True,
                input_device_index=index, frames_per_buffer=frames_per_buffer,
                stream_callback=self._on_audio)
        except OSError as err:
            self._pa.terminate()
            raise AudioInputError(f"microphone {self.name}: cannot open at 16 kHz mono ({err})") from err
        _LOGGER.info("audio source: %s", self.name)

    def _on_audio(self, data, frame_count, _time_info, _status):
        import pyaudio
        chunk = AudioChunk(PIPELINE_RATE, 2, 1, data, self._frames / PIPELINE_RATE)
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
            self._stream.stop_stream()
            self._stream.close()
        finally:
            self._pa.terminate()
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                pass


def _find_input_device(pa, wanted: str | None) -> int:
    inputs = [i for i in range(pa.get_device_count())
              if pa.get_device_info_by_index(i).get("maxInputChannels", 0) > 0]
    if not inputs:
        raise AudioInputError("microphone: no audio input device found (use --input FILE.wav)")
    if wanted is None:
        try:
            return int(pa.get_default_input_device_info()["index"])
        except OSError:
            return inputs[0]
    for i in inputs:
        if wanted in pa.get_device_info_by_index(i)["name"]:
            return i
    raise AudioInputError(f"microphone: no input device named like {wanted!r}")
