"""PyAudio speaker sink: a callback stream fed from a bounded queue of samples.

Times follow the device: a chunk is heard `output latency` after the samples
before it have drained, which is what the avatar's mouth needs.

A speaker that goes away (USB pulled, sound server restarted) stops asking for
audio: after 3 s without a callback it is declared lost, what was queued is
dropped (nobody heard it), the time line keeps running (the mouth still moves,
the conversation goes on) and PortAudio is reopened every 3 s until it is back.
"""

from __future__ import annotations

import collections
import logging
import threading
import time

import numpy as np

from runtime.shared.errors import AudioOutputError

from .chunk import AudioChunk
from .devices import close_stream, pick_device, quiet_stderr
from .microphone import Stall, StallWatch
from .sinks import OutputTimeline

_LOGGER = logging.getLogger(__name__)
_BUFFER_FRAMES = 512


class SpeakerSink:
    def __init__(self, rate: int = 22050, device: str | None = None, clock=time.monotonic):
        try:
            import pyaudio
        except ImportError as err:
            raise AudioOutputError("speaker: the pyaudio package is not installed") from err
        self._pyaudio = pyaudio
        self.rate = rate
        self._device = device
        self._queue: collections.deque[np.ndarray] = collections.deque()
        self._lock = threading.Lock()
        self._clock = clock
        self._watch = StallWatch()
        self._closed = threading.Event()
        self._open()
        self._watch.heard(self._clock())
        self._timeline = OutputTimeline(latency=self._stream.get_output_latency())
        _LOGGER.info("audio sink: %s at %d Hz, latency %.0f ms", self.name, rate,
                     self._timeline.latency * 1000)
        threading.Thread(target=self._guard, name="speaker-watch", daemon=True).start()

    def _open(self) -> None:
        """(Re)start PortAudio and the stream; a re-plugged device is only seen by a new PortAudio."""
        pyaudio, device, rate = self._pyaudio, self._device, self.rate
        with quiet_stderr():
            self._pa = pyaudio.PyAudio()
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

    def _guard(self) -> None:
        """Every half second: is the device still asking for audio? If not, reopen it now and then."""
        while not self._closed.wait(0.5):
            what = self._watch.silent(self._clock())
            if what is Stall.LOST:
                _LOGGER.warning("speaker %s: no request for audio for %.0f s; the device is gone? "
                                "dropping %d queued chunk(s), retrying every %.0f s", self.name,
                                self._watch.lost_after_s, len(self._queue), self._watch.retry_every_s)
                with self._lock:
                    self._queue.clear()
            if what in (Stall.LOST, Stall.RETRY):
                self._reopen()

    def _reopen(self) -> None:
        try:
            close_stream(self._pa, self._stream)
        except OSError as err:
            _LOGGER.debug("closing the lost speaker stream: %s", err)
        try:
            self._open()
        except AudioOutputError as err:
            with quiet_stderr():
                self._pa = self._pyaudio.PyAudio()      # something for close() to release
            self._stream = None
            _LOGGER.warning("speaker not back yet: %s", err)

    def _on_need_audio(self, _in, frame_count, _time_info, _status):
        if self._watch.heard(self._clock()) is Stall.BACK:
            _LOGGER.warning("speaker %s: audio is flowing again", self.name)
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
        self._closed.set()
        close_stream(self._pa, self._stream)
