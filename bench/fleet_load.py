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
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from bench.common import process_mb
from fleet.broker import BrokerConfig, make_client
from tests.mosquitto import mosquitto_exe

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
        self.proc = subprocess.Popen([mosquitto_exe(), "-c", str(self.conf)], stdout=self.log, stderr=self.log)
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
    """The kernel's TcpExt counters named in TCP_COUNTERS (Linux; empty elsewhere). System-wide: other
    work on the machine adds to them, so a run's difference is an upper bound."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return {}
    out: dict[str, int] = {}
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            out.update({k: int(v) for k, v in zip(names.split()[1:], values.split()[1:]) if k in TCP_COUNTERS})
    return out


def tcp_memory_pages() -> int:
    """Pages the kernel's TCP sockets hold now (/proc/net/sockstat `TCP: ... mem N`)."""
    try:
        for line in Path("/proc/net/sockstat").read_text().splitlines():
            if line.startswith("TCP:"):
                fields = line.split()
                return int(fields[fields.index("mem") + 1])
    except (OSError, ValueError):
        pass
    return 0


def tcp_memory_limits() -> list[int]:
    """tcp_mem: pages below which TCP is not pressed, where pressure starts, the hard limit."""
    try:
        return [int(v) for v in Path("/proc/sys/net/ipv4/tcp_mem").read_text().split()]
    except (OSError, ValueError):
        return []


class Peaks:
    """Peak RSS of the broker and the simulator, and of the kernel's TCP memory, sampled each second."""

    def __init__(self, broker: Broker, sim_pid: int):
        self.broker, self.sim_pid = broker, sim_pid
        self.mb = {"broker": 0.0, "simulator": 0.0}
        self.tcp_pages = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            self.sample()

    def sample(self) -> None:
        pids = getattr(self.broker, "pids", None)          # a cluster: the largest node
        pids = pids if pids is not None else ([self.broker.proc.pid] if self.broker.proc is not None else [])
        for pid in pids:
            self.mb["broker"] = max(self.mb["broker"], process_mb("VmHWM", pid))
        self.mb["simulator"] = max(self.mb["simulator"], process_mb("VmHWM", self.sim_pid))
        self.tcp_pages = max(self.tcp_pages, tcp_memory_pages())

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join(5)
        self.sample()
        return {"peak_rss_mb": {k: round(v) for k, v in self.mb.items()},
                "tcp_memory_peak_mb": round(self.tcp_pages * 4096 / 2**20),
                "tcp_mem_limits_mb": [round(v * 4096 / 2**20) for v in tcp_memory_limits()]}


class SysCounters:
    """Mosquitto's $SYS totals sampled once a second, summed across broker restarts (which reset them)."""

    KEYS = ("bytes/sent", "publish/messages/sent", "publish/messages/received", "publish/messages/dropped")

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


class NoSysCounters:
    """A broker without Mosquitto's $SYS tree (RabbitMQ): the counters are not known (None)."""

    def snapshot(self) -> dict[str, None]:
        return {k: None for k in SysCounters.KEYS}

    def close(self) -> None:
        pass

