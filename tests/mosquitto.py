"""Start a private Mosquitto on a free loopback port for a test (Debian's `mosquitto`)."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mosquitto_exe() -> str:
    """The broker's executable: on PATH, else Debian's /usr/sbin (not on a normal user's PATH)."""
    return shutil.which("mosquitto") or "/usr/sbin/mosquitto"


@contextmanager
def mosquitto(folder: Path, port: int | None = None, persistence: bool = False, extra: str = ""):
    """A broker on `port` (default: a free one); with `persistence`, retained messages survive a restart;
    `extra`: more configuration lines (limits a test needs)."""
    exe = mosquitto_exe()
    port = port or free_port()
    conf = folder / "mosquitto.conf"
    store = (f"persistence true\npersistence_location {folder}/\nuser {getpass.getuser()}\n" if persistence
             else "persistence false\n")
    conf.write_text(f"log_dest stdout\nlistener {port} 127.0.0.1\nallow_anonymous true\n{store}{extra}")
    proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("mosquitto did not start")
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
