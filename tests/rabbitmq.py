"""Private RabbitMQ nodes with the MQTT plugin on free loopback ports (Debian's `rabbitmq-server`):
one node for the fleet tests that prove nothing depends on Mosquitto-only features, and a cluster of
several (one Erlang cookie, `classic_config` peer discovery) for the tests and the bench that prove
the fleet survives losing a node (docs/fleet.md#brokers-and-clusters)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.mosquitto import free_port

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
COOKIE = "edgeavatartest"


def available() -> bool:
    return Path(SERVER).exists() or shutil.which("rabbitmq-server") is not None


@dataclass
class Node:
    """One RabbitMQ node: its name, ports, folder and process."""
    name: str
    folder: Path
    mqtt_port: int
    amqp_port: int
    dist_port: int
    proc: subprocess.Popen | None = None
    log: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.mqtt_port}"

    def write_config(self, peers: list[str], memory_mb: int | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        lines = [f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}",
                 f"mqtt.listeners.tcp.default = 127.0.0.1:{self.mqtt_port}",
                 "mqtt.allow_anonymous = true", "loopback_users = none",
                 "log.console = false", "log.file.level = warning"]
        if peers:       # a cluster: every node lists every node; QoS 1 queues of durable sessions are quorum queues
            lines += ["cluster_formation.peer_discovery_backend = classic_config",
                      *(f"cluster_formation.classic_config.nodes.{i} = {p}" for i, p in enumerate(peers, 1)),
                      "mqtt.durable_queue_type = quorum"]
            if len(peers) >= 3:     # a majority survives one lost node; with two, the survivor must run on
                lines.append("cluster_partition_handling = pause_minority")
        if memory_mb:   # several nodes on one host: each must not believe it owns all the memory
            lines.append(f"vm_memory_high_watermark.absolute = {memory_mb}MB")
        (self.folder / "rabbitmq.conf").write_text("\n".join(lines) + "\n")
        (self.folder / "enabled_plugins").write_text("[rabbitmq_mqtt].\n")

    def start(self) -> None:
        env = {**os.environ, "RABBITMQ_NODENAME": self.name, "RABBITMQ_NODE_PORT": str(self.amqp_port),
               "RABBITMQ_DIST_PORT": str(self.dist_port), "RABBITMQ_CONFIG_FILE": str(self.folder / "rabbitmq"),
               "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins"),
               "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"), "RABBITMQ_LOG_BASE": str(self.folder / "log"),
               "RABBITMQ_PID_FILE": str(self.folder / "rabbit.pid"), "HOME": str(self.folder),
               "RABBITMQ_ERLANG_COOKIE": COOKIE, "RABBITMQ_USE_LONGNAME": "false"}
        exe = SERVER if Path(SERVER).exists() else shutil.which("rabbitmq-server")
        self.log = open(self.folder / "server.out", "ab")
        self.proc = subprocess.Popen([exe], env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rabbitmq-server {self.name} exited: {self.tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.mqtt_port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"rabbitmq {self.name} did not open its MQTT port in time: {self.tail()}")

    def tail(self) -> str:
        return (self.folder / "server.out").read_text(errors="replace")[-2000:]

    def kill(self) -> None:
        """The node dies at once (SIGKILL to its process group): no goodbye to its clients or peers."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()
        except OSError:
            pass
        finally:
            if self.log:
                self.log.close()
                self.log = None


def _node(folder: Path, tag: str) -> Node:
    mqtt_port, amqp_port, dist_port = free_port(), free_port(), free_port()
    return Node(f"edgeav{tag}{mqtt_port}@localhost", folder, mqtt_port, amqp_port, dist_port)


@contextmanager
def rabbitmq(folder: Path, timeout: float = 90.0):
    """One node; yields its mqtt:// URL."""
    node = _node(folder, "")
    node.write_config([], None)
    node.start()
    try:
        node.wait_ready(time.monotonic() + timeout)
        yield node.url
    finally:
        node.stop()



@contextmanager
def rabbitmq_cluster(folder: Path, size: int = 3, timeout: float = 120.0, memory_mb: int | None = 1024):
    """`size` nodes on loopback that form one cluster; yields the Node list once every node routes
    MQTT messages to the others. Every node is stopped (its process group killed if need be) on exit."""
    tag = uuid.uuid4().hex[:4]
    nodes = [_node(folder / f"node{i + 1}", f"{tag}n{i + 1}x") for i in range(size)]
    with ExitStack() as stack:
        for node in nodes:
            node.write_config([n.name for n in nodes], memory_mb)
            stack.callback(node.stop)
        deadline = time.monotonic() + timeout
        for node in nodes:      # one after the other: each joins the running ones (booted together,
            node.start()        # a node was measured stuck out of the MQTT plugin's client-id group)
            node.wait_ready(deadline)
        wait_clustered(nodes, deadline)
        yield nodes


def wait_clustered(nodes: list[Node], deadline: float) -> None:
    """Until a message published on each node reaches a subscriber on the next one."""
    import paho.mqtt.client as mqtt
    for a, b in zip(nodes, nodes[1:] + nodes[:1]):
        topic = f"cluster-check/{uuid.uuid4().hex[:8]}"
        while True:
            got = []
            sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
            pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
            sub.on_message = lambda c, u, m: got.append(m.payload)
            try:
                sub.connect("127.0.0.1", b.mqtt_port, 10)
                sub.loop_start()
                sub.subscribe(topic, 1)[0]
                pub.connect("127.0.0.1", a.mqtt_port, 10)
                pub.loop_start()
                end = min(deadline, time.monotonic() + 3)
                while not got and time.monotonic() < end:
                    pub.publish(topic, b"x", qos=1)
                    time.sleep(0.3)
            except OSError:
                pass
            finally:
                for c in (sub, pub):
                    c.disconnect()
                    c.loop_stop()
            if got:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"rabbitmq nodes {a.name} and {b.name} did not form a cluster in time: {b.tail()}")
