"""The fleet bench's broker cluster: N RabbitMQ nodes on loopback (tests/rabbitmq.py: one Erlang
cookie, classic_config discovery, the MQTT plugin, quorum queues for durable sessions), with the same
face as `fleet_load.Broker` to `fleet_run` — a URL (every node, comma-separated: kiosks spread over
them and move on a loss), `stop`, and `disrupt`: one node killed mid-push (SIGKILL, it stays down)."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

from tests.rabbitmq import available, rabbitmq_cluster


def _process_groups() -> list[tuple[int, int]]:
    """(pid, process group) of every process (Linux /proc; empty elsewhere)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                out.append((int(entry.name), int(fields[2])))
            except (OSError, IndexError, ValueError):
                continue
    return out


class ClusterBroker:
    def __init__(self, folder: Path, size: int, kill_node: bool):
        if not available():
            raise SystemExit("--cluster needs Debian's rabbitmq-server (scripts/setup.sh --test installs it)")
        self.folder, self.size, self.kill_node = folder, size, kill_node
        self._stack = ExitStack()
        self.nodes = []
        self.killed: str | None = None
        self.start_s = 0.0

    def start(self) -> None:
        t0 = time.monotonic()
        # 1 000 kiosks: room for their connections before a memory alarm blocks publishers
        self.nodes = self._stack.enter_context(rabbitmq_cluster(self.folder, self.size, timeout=300, memory_mb=3072))
        self.start_s = time.monotonic() - t0

    @property
    def url(self) -> str:
        return ",".join(n.url for n in self.nodes)

    @property
    def pids(self) -> list[int]:
        """Every process of the live nodes (the Erlang VM is a child of the start script)."""
        groups = {n.proc.pid for n in self.nodes if n.proc is not None and n.proc.poll() is None}
        return [pid for pid, group in _process_groups() if group in groups]

    def disrupt(self) -> float:
        """Kill the last node (the admin's own link is on the first; its kiosks must move)."""
        node = self.nodes[-1]
        node.kill()
        self.killed = node.url
        return 0.0

    def stop(self) -> None:
        self._stack.close()
