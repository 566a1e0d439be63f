"""`PanelBridge`: the host side of the controller link over pyserial, reconnecting by itself.

A reader thread turns bytes into frames and frames into link events; `call()`
sends a request and waits for its answer (or its failure). Unsolicited events go
to the `on_event` callback. A port that disappears (USB unplugged, pty closed)
fails the calls in flight with "disconnected" and is reopened with backoff while
the kiosk keeps running.
"""

from __future__ import annotations

import logging
import termios
import threading
import time
from dataclasses import dataclass
from typing import Callable

import serial

from .frames import FrameDecoder
from .link import Completed, EventReceived, Failed, LinkConfig, RequestTracker
from .messages import Message

_LOGGER = logging.getLogger(__name__)
RECONNECT_MIN_S, RECONNECT_MAX_S = 0.2, 2.0


class BridgeError(Exception):
    """A request the controller did not complete: timeout, NACK or disconnection."""


@dataclass
class _Call:
    done: threading.Event
    result: Completed | Failed | None = None


class PanelBridge:
    def __init__(self, url: str, baudrate: int = 115200, config: LinkConfig = LinkConfig(),
                 on_event: Callable[[Message], None] | None = None,
                 open_port: Callable[[str, int], serial.SerialBase] | None = None):
        self.url, self.baudrate = url, baudrate
        self.on_event = on_event or (lambda msg: None)
        self._open_port = open_port or (lambda u, b: serial.serial_for_url(u, baudrate=b, timeout=0.02))
        self._tracker = RequestTracker(config)
        self._decoder = FrameDecoder()
        self._calls: dict[int, _Call] = {}
        self._lock = threading.Lock()
        self._port: serial.SerialBase | None = None
        self._stop = threading.Event()
        self.connected = threading.Event()
        self.reconnects = 0
        self._thread = threading.Thread(target=self._run, name="panel-bridge", daemon=True)
        self._thread.start()

    @property
    def stats(self):
        return self._tracker.stats

    @property
    def frames_bad(self) -> int:
        return self._decoder.frames_bad

    def call(self, message: Message, timeout: float = 2.0) -> Message:
        """Send a request; return the controller's answer or raise BridgeError saying why not."""
        if not self.connected.wait(timeout):
            raise BridgeError(f"{self.url}: not connected")
        pending = _Call(threading.Event())
        with self._lock:
            seq, wire = self._tracker.request(message, time.monotonic())
            self._calls[seq] = pending
            self._send(wire)
        if not pending.done.wait(timeout):
            with self._lock:
                self._calls.pop(seq, None)
            raise BridgeError(f"{type(message).__name__}: no answer within {timeout:.1f} s")
        if isinstance(pending.result, Failed):
            raise BridgeError(f"{type(message).__name__}: {pending.result.reason}")
        return pending.result.response

    def send(self, message: Message) -> bool:
        """Fire and forget (brightness, mode): retried like any request; a failure is only logged."""
        if not self.connected.is_set():
            _LOGGER.info("panel link %s: not connected, %s not sent", self.url, type(message).__name__)
            return False
        with self._lock:
            seq, wire = self._tracker.request(message, time.monotonic())
            self._send(wire)
        return True

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._close_port()

    # -- reader thread
    def _run(self) -> None:
        delay = RECONNECT_MIN_S
        while not self._stop.is_set():
            if self._port is None:
                try:
                    port = self._open_port(self.url, self.baudrate)
                except (serial.SerialException, OSError, termios.error) as err:
                    # termios.error: a pty or USB-serial that vanished while being configured
                    _LOGGER.debug("panel link %s: cannot open (%s); retry in %.1f s", self.url, err, delay)
                    self._stop.wait(delay)
                    delay = min(RECONNECT_MAX_S, delay * 2)
                    continue
                with self._lock:
                    self._port = port
                    self._decoder = FrameDecoder()
                delay = RECONNECT_MIN_S
                self.connected.set()
                _LOGGER.info("panel link %s: connected", self.url)
            try:
                # Wait for one byte (up to the port timeout), then take whatever has arrived.
                data = self._port.read(1)
                if data and self._port.in_waiting:
                    data += self._port.read(self._port.in_waiting)
            except (serial.SerialException, OSError, termios.error) as err:
                self._lost(err)
                continue
            now = time.monotonic()
            with self._lock:
                events = []
                for frame in self._decoder.feed(data) if data else []:
                    events += self._tracker.on_frame(frame, now)
                resend, failed = self._tracker.poll(now)
                for wire in resend:
                    self._send(wire)
                events += failed
                finished = [(self._calls.pop(e.seq, None), e) for e in events if not isinstance(e, EventReceived)]
            for call, result in finished:
                if call is None and isinstance(result, Failed):
                    _LOGGER.warning("panel link %s: %s failed (%s)", self.url,
                                    type(result.request).__name__, result.reason)
                if call is not None:
                    call.result = result
                    call.done.set()
            for e in events:
                if isinstance(e, EventReceived):
                    try:
                        self.on_event(e.event)
                    except Exception:  # a faulty handler must not kill the link
                        _LOGGER.exception("panel event handler failed on %s", e.event)

    def _send(self, wire: bytes) -> None:
        if self._port is None:
            return
        try:
            self._port.write(wire)
        except (serial.SerialException, OSError) as err:
            _LOGGER.warning("panel link %s: write failed (%s)", self.url, err)

    def _lost(self, err: Exception) -> None:
        _LOGGER.warning("panel link %s: lost (%s); reconnecting", self.url, err)
        self.connected.clear()
        self._close_port()
        self.reconnects += 1
        with self._lock:
            calls, self._calls = self._calls, {}
            self._tracker = RequestTracker(self._tracker.config, self._tracker.stats)
        for call in calls.values():
            call.result = Failed(0, None, "disconnected", 0)
            call.done.set()

    def _close_port(self) -> None:
        with self._lock:
            port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                pass  # closing a port that is already gone
