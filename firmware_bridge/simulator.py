"""The controller simulator on a pseudo-terminal: `edge-avatar bridge simulate`.

The host opens the pty's slave path (or a stable symlink to it) like a real
UART. `unplug()` closes the pty (the host's port errors out); `plug()` makes a
new one behind the same symlink, as a USB adapter coming back would.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
import tty
from pathlib import Path

from .controller import ControllerModel, Faults

_LOGGER = logging.getLogger(__name__)


class PtySimulator:
    def __init__(self, faults: Faults = Faults(), link: Path | None = None, telemetry_every_s: float = 0.0,
                 baudrate: int | None = None):
        self.model = ControllerModel(faults)
        # A pty moves bytes at memory speed; with a baud rate the simulator takes as long as
        # a UART would (10 bits a byte, 8N1) to receive and to send.
        self.byte_s = 10.0 / baudrate if baudrate else 0.0
        self.link = Path(link) if link else None
        self.telemetry_every_s = telemetry_every_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._master: int | None = None
        self.device = ""
        self.plug()
        self._thread = threading.Thread(target=self._run, name="panel-sim", daemon=True)
        self._thread.start()

    @property
    def path(self) -> str:
        return str(self.link) if self.link else self.device

    def plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        self.device = os.ttyname(slave)
        os.close(slave)   # the host opens it by path
        with self._lock:
            self._master = master
        if self.link:
            tmp = self.link.with_name(self.link.name + ".new")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(self.device)
            os.replace(tmp, self.link)
        _LOGGER.info("panel controller simulator on %s", self.path)

    def unplug(self) -> None:
        with self._lock:
            master, self._master = self._master, None
        if master is not None:
            os.close(master)

    def reboot(self) -> None:
        with self._lock:
            self._write(self.model.reboot())

    def send_event(self, message) -> None:
        """Any unsolicited event (button, fault, temperature...) as the controller would send it."""
        with self._lock:
            self._write(self.model.event(message))

    def send_presence(self, present: bool, distance_mm: int = 0) -> None:
        with self._lock:
            self._write(self.model.presence(present, distance_mm))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.unplug()
        if self.link:
            self.link.unlink(missing_ok=True)

    def _write(self, frames: list[bytes]) -> None:
        if self._master is None:
            return
        for wire in frames:
            if self.byte_s:
                time.sleep(len(wire) * self.byte_s)
            try:
                os.write(self._master, wire)
            except OSError:
                return   # no reader yet / port closed on the host side: bytes are lost, as on a wire

    def _run(self) -> None:
        next_telemetry = time.monotonic() + self.telemetry_every_s
        while not self._stop.is_set():
            master = self._master
            if master is None:
                time.sleep(0.02)
                continue
            try:
                ready, _, _ = select.select([master], [], [], 0.05)
                data = os.read(master, 4096) if ready else b""
            except OSError:
                time.sleep(0.02)   # the host has not opened the port (EIO) or it was unplugged
                continue
            if data:
                if self.byte_s:
                    time.sleep(len(data) * self.byte_s)
                with self._lock:
                    answers = self.model.receive(data)
                if answers and self.model.faults.delay_s:
                    time.sleep(self.model.faults.delay_s)
                with self._lock:
                    self._write(answers)
            if self.telemetry_every_s and time.monotonic() >= next_telemetry:
                next_telemetry += self.telemetry_every_s
                with self._lock:
                    self._write(self.model.telemetry())
