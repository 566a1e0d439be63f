"""PyAudio speaker sink: a callback stream fed from a bounded queue of samples.

Times follow the device: a chunk is heard `output latency` after the samples
before it have drained, which is what the avatar's mouth needs.
"""

from __future__ import annotations

import collections
import logging
import threading

import numpy as np

from ..errors import AudioOutputError
from .chunk import AudioChunk
from .devices import close_stream, pick_device, quiet_stderr
from .sinks import OutputTimeline

_LOGGER = logging.getLogger(__name__)
_BUFFER_FRAMES = 512


class SpeakerSink:
    def __init__(self, rate: int = 22050, device: str | None = None):
        try:
            import pyaudio
        except ImportError as err:
            raise AudioOutputError("speaker: the pyaudio package is not installed") from err
        self._pyaudio = pyaudio
        with quiet_stderr():
            self._pa = pyaudio.PyAudio()
        self.rate = rate
        self._queue: collections.deque[np.ndarray] = collections.deque()
        self._lock = threading.Lock()
        index = pick_device(self._pa, device, output=True)
        if index is None:
            self._pa.terminate()
            raise AudioOutputError("speaker: no audio output device found" +
                                   (f" named like {device!r}" if device else " (use --output FILE.wav)"))
        self.name = f"speaker:{self._pa.get_device_info_by_index(index)['name']}"
        try:
            self._stream = self._pa.open(format=pyaudio.paInt16, channels=1, rate=rate, output=True,
                                         output_device_index=index, frames_per_buffer=_BUFFER_FRAMES,
                                         stream_callback=self._on_need_audio)
        except OSError as err:
            self._pa.terminate()
            raise AudioOutputError(f"{self.name}: cannot open at {rate} Hz mono ({err})") from err
        self._timeline = OutputTimeline(latency=self._stream.get_output_latency())
        _LOGGER.info("audio sink: %s at %d Hz, latency %.0f ms", self.name, rate,
                     self._timeline.latency * 1000)

    def _on_need_audio(self, _in, frame_count, _time_info, _status):
        out = np.zeros(frame_count, dtype=np.int16)
        filled = 0
        with self._lock:
            while filled < frame_count and self._queue:
                head = self._queue[0]
                n = min(len(head), frame_count - filled)
                out[filled:filled + n] = head[:n]
                filled += n
                if n == len(head):
                    self._queue.popleft()
                else:
                    self._queue[0] = head[n:]
        return (out.tobytes(), self._pyaudio.paContinue)

    def play(self, chunk: AudioChunk, now: float) -> float:
        audio = chunk.converted(rate=self.rate, channels=1).samples()
        with self._lock:
            self._queue.append(np.array(audio, dtype=np.int16))
            return self._timeline.schedule(len(audio) / self.rate, now)

    def busy_until(self) -> float:
        return self._timeline.end

    def stop(self, now: float) -> float:
        with self._lock:
            self._queue.clear()
            return self._timeline.cut(now)

    def close(self) -> None:
        close_stream(self._pa, self._stream)
