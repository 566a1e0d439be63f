"""What a fleet bench run needs around it: a Mosquitto it can restart mid-push (persistence on, so
retained chunks and desired state survive, as on a real fleet broker), competing CPU work on every
core, the broker's $SYS counters across restarts, and the kernel's TCP counters (memory pressure,
pruned receive queues, retransmission timeouts) that tell why a push slowed down."""

from __future__ import annotations

import getpass
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from fleet.broker import BrokerConfig, make_client

TCP_COUNTERS = ("TCPMemoryPressures", "PruneCalled", "RcvPruned", "TCPRcvQDrop", "TCPTimeouts",
                "TCPAbortOnMemory", "TCPAbortOnTimeout", "TCPBacklogDrop")


class Broker:
    """One Mosquitto on a loopback port, with its persistence file in `folder`."""

    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                             f"persistence_location {folder}/\nautosave_interval 0\nsys_interval 1\n"
                             f"user {getpass.getuser()}\nmax_queued_messages 1000\nlog_type error\nlog_type warning\n"
                             "log_dest stdout\n")
        self.proc: subprocess.Popen | None = None
        self.log = open(folder / "mosquitto.log", "ab")
        self.restarts = 0

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not start on port {self.port} (see {self.folder}/mosquitto.log)")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)           # it saves retained messages on the way out
            self.proc.wait(60)

    def restart(self) -> float:
        """Stop and start again on the same port; returns how long the broker was away (s)."""
        t0 = time.monotonic()
        self.stop()
        self.start()
        self.restarts += 1
        return time.monotonic() - t0


@contextmanager
def cpu_load(enabled: bool):
    """A busy process per core for the length of the block (nothing when not enabled)."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)] \
        if enabled else []
    try:
        yield len(procs)
    finally:
        for p in procs:
            p.kill()
            p.wait()


def tcp_counters() -> dict[str, int]:
    """The kernel's TcpExt counters named in TCP_COUNTERS (Linux; empty elsewhere)."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return {}
    out: dict[str, int] = {}
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            out.update({k: int(v) for k, v in zip(names.split()[1:], values.split()[1:]) if k in TCP_COUNTERS})
    return out


class SysCounters:
    """Mosquitto's $SYS totals sampled once a second, summed across broker restarts (which reset them)."""

    KEYS = ("bytes/sent", "publish/messages/sent", "publish/messages/received")

    def __init__(self, cfg: BrokerConfig):
        self.last: dict[str, float] = {}
        self.offset: dict[str, float] = {}
        self.client = make_client(cfg, f"bench-sys-{os.getpid()}", v5=False)
        self.client.on_connect = lambda c, *a: c.subscribe("$SYS/broker/#")
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 2)
        self.client.connect(cfg.host, cfg.port)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg) -> None:
        key = msg.topic.split("broker/", 1)[-1]
        if key not in self.KEYS:
            return
        try:
            value = float(msg.payload or 0)
        except ValueError:
            return
        if value < self.last.get(key, 0.0):                 # a restarted broker counts from zero
            self.offset[key] = self.offset.get(key, 0.0) + self.last[key]
        self.last[key] = value

    def snapshot(self) -> dict[str, float]:
        time.sleep(1.5)
        return {k: self.last.get(k, 0.0) + self.offset.get(k, 0.0) for k in self.KEYS}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def peak_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
