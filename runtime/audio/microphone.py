"""PyAudio microphone source: 16 kHz mono 16-bit, a bounded queue of chunks."""

from __future__ import annotations

import enum
import logging
import queue
import time
from typing import Iterator

from runtime.shared.errors import AudioInputError

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
        self._device = device
        self._queue: queue.Queue[AudioChunk | None] = queue.Queue(maxsize=_QUEUE_CHUNKS)
        self.dropped = 0
        self.lost = 0                    # times the device went away and was found again
        self._clock = clock
        self._start = clock()
        self._closed = False
        self._watch = StallWatch()
        self._open()
        _LOGGER.info("audio source: %s (input latency %.0f ms)", self.name, self._latency * 1000)

    def _open(self) -> None:
        """(Re)start PortAudio and the capture stream; a re-plugged device is only seen by a new PortAudio."""
        import pyaudio
        with quiet_stderr():
            self._pa = pyaudio.PyAudio()
        index = pick_device(self._pa, self._device, output=False)
        if index is None:
            self._pa.terminate()
            raise AudioInputError("microphone: no audio input device found" +
                                  (f" named like {self._device!r}" if self._device else " (use --input FILE.wav)"))
        self.name = f"mic:{self._pa.get_device_info_by_index(index)['name']}"
        self._frames = 0
        self._anchor: float | None = None
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

    def _on_audio(self, data, frame_count, _time_info, _status):
        import pyaudio
        # Put sample time on the same line as now(): a buffer's last sample was captured at least one
        # input latency before it arrived. The first buffer may come late (a loaded machine, a sound
        # server handing over what it had buffered): a later buffer that arrives on time moves the
        # line back, or every sample would seem to come from the future.
        earliest = self.now() - self._latency - (self._frames + frame_count) / PIPELINE_RATE
        if self._anchor is None or earliest < self._anchor:
            self._anchor = earliest
        chunk = AudioChunk(PIPELINE_RATE, 2, 1, data, self._anchor + self._frames / PIPELINE_RATE)
        self._frames += frame_count
        try:
            self._queue.put_nowait(chunk)
        except queue.Full:
            self.dropped += 1
        return (None, pyaudio.paContinue)

    def chunks(self) -> Iterator[AudioChunk]:
        """Captured audio; while the device is gone, silence (so the avatar keeps idling and the
        service watchdog keeps being pinged) and a reopen attempt every few seconds."""
        while True:
            try:
                chunk = self._queue.get(timeout=CHUNK_SECONDS * 4)
            except queue.Empty:
                now = self.now()
                action = self._watch.silent(now)
                if action is Stall.LOST:
                    _LOGGER.error("microphone %s: no audio for %.1f s; the device is gone? trying to reopen it",
                                  self.name, now - self._watch.last_audio)
                if action in (Stall.LOST, Stall.RETRY):
                    self._reopen()
                yield AudioChunk.silence(CHUNK_SECONDS * 4, PIPELINE_RATE, now)
                continue
            if chunk is None:
                return
            if self._watch.heard(self.now()) is Stall.BACK:       # arrival time: backends deliver in bursts
                self.lost += 1
                _LOGGER.warning("microphone %s: audio is back", self.name)
            yield chunk

    def _reopen(self) -> None:
        if self._closed:
            return
        try:
            close_stream(self._pa, self._stream)
        except OSError as err:
            _LOGGER.debug("closing the lost microphone stream: %s", err)
        try:
            self._open()
        except AudioInputError as err:
            self._stream = None
            with quiet_stderr():
                import pyaudio
                self._pa = pyaudio.PyAudio()      # something for close() to release
            _LOGGER.warning("microphone not back yet: %s", err)

    def now(self) -> float:
        return self._clock() - self._start

    def close(self) -> None:
        self._closed = True
        try:
            close_stream(self._pa, self._stream)
        finally:
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                self.dropped += 1  # the reader is gone or far behind; it stops at its next get


class Stall(str, enum.Enum):
    """What a device that went quiet (or came back) calls for."""

    LOST = "lost"      # quiet too long: the device is gone; reopen it
    RETRY = "retry"    # still gone: try to reopen it again
    BACK = "back"      # audio again after it was lost


class StallWatch:
    """When a capture stream that went quiet is lost, and how often to try it again (pure)."""

    def __init__(self, lost_after_s: float = 3.0, retry_every_s: float = 3.0):
        self.lost_after_s, self.retry_every_s = lost_after_s, retry_every_s
        self.last_audio = 0.0
        self.lost_at: float | None = None
        self.tried_at = 0.0

    def heard(self, t: float) -> Stall | None:
        self.last_audio = t
        if self.lost_at is not None:
            self.lost_at = None
            return Stall.BACK
        return None

    def silent(self, now: float) -> Stall | None:
        if self.lost_at is None:
            if now - self.last_audio < self.lost_after_s:
                return None
            self.lost_at = self.tried_at = now
            return Stall.LOST
        if now - self.tried_at >= self.retry_every_s:
            self.tried_at = now
            return Stall.RETRY
        return None
