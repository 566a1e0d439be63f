"""How to reach the broker: URL, credentials, TLS; one paho client factory (VERSION2 callbacks).

``mqtt://host:port`` or ``mqtts://host:port``; a cluster's nodes as a comma-separated list
(``mqtt://a:1883,mqtt://b:1883``): a client starts on one and moves to the next one on every new
connection attempt after a loss (``NodeRotation``). Credentials from the (first) URL, from
``--credentials FILE`` (``username:password`` on one line), or from
``EDGE_AVATAR_MQTT_USERNAME`` / ``EDGE_AVATAR_MQTT_PASSWORD``. TLS: ``--ca-file`` to pin the
broker's CA, ``--cert``/``--key`` for a per-device client certificate.
MQTT 5 is asked for first; a broker that refuses it (RabbitMQ 3.x) gets MQTT 3.1.1.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlparse

import paho.mqtt.client as mqtt

from .errors import FleetError


@dataclass(frozen=True)
class BrokerConfig:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    nodes: tuple[tuple[str, int], ...] = ()      # every node of a cluster, (host, port); () = host:port alone

    @property
    def addresses(self) -> tuple[tuple[str, int], ...]:
        return self.nodes or ((self.host, self.port),)

    @property
    def subscribe_qos(self) -> int:
        """The QoS of our subscriptions: 1 on one broker; 0 on a cluster. RabbitMQ 3.10 backs a QoS 1
        subscription with a *durable* queue on the client's node (even for a clean session); when
        that node dies the queue stays, bound but down, and every QoS 1 publish routed to it is
        nacked, which crashes the publisher's MQTT connection in the plugin (measured: the admin's
        links to the surviving nodes thrown out on each chunk or announce it sent). A QoS 0
        subscription's queue is transient and leaves with its node. The fleet does not need QoS 1
        delivery: chunks are asked for again, desired state is retained and read on every
        connection, quiet devices are read again, commands time out."""
        return 0 if len(self.addresses) > 1 else 1

    def node(self, index: int) -> "BrokerConfig":
        """The same settings for one node of the cluster alone."""
        host, port = self.addresses[index]
        return replace(self, host=host, port=port, nodes=())

    @classmethod
    def from_args(cls, url: str, credentials: Path | None = None, ca_file: Path | None = None,
                  cert_file: Path | None = None, key_file: Path | None = None) -> "BrokerConfig":
        urls = [part.strip() for part in (url or "").split(",")]
        parsed = [urlparse(part) for part in urls]
        for part, p in zip(urls, parsed):
            if p.scheme not in ("mqtt", "mqtts") or not p.hostname:
                raise FleetError(f"--broker {part!r}: expected mqtt://host:port or mqtts://host:port "
                                 "(a cluster: several, separated by commas)")
            if p.scheme != parsed[0].scheme:
                raise FleetError(f"--broker {url!r}: every node must use the same scheme ({parsed[0].scheme}://)")
        u = parsed[0]
        default_port = 8883 if u.scheme == "mqtts" else 1883
        nodes = tuple((p.hostname, p.port or default_port) for p in parsed) if len(parsed) > 1 else ()
        username = unquote(u.username) if u.username else os.environ.get("EDGE_AVATAR_MQTT_USERNAME")
        password = unquote(u.password) if u.password else os.environ.get("EDGE_AVATAR_MQTT_PASSWORD")
        if credentials:
            try:
                line = Path(credentials).read_text(encoding="utf-8").strip().splitlines()[0]
                username, _, password = line.partition(":")
            except (OSError, IndexError) as err:
                raise FleetError(f"--credentials {credentials}: expected one line username:password ({err})") from None
        if (cert_file is None) != (key_file is None):
            raise FleetError("--cert and --key: give both (a client certificate and its private key) or neither")
        tls = u.scheme == "mqtts"
        if (ca_file or cert_file) and not tls:
            raise FleetError(f"--broker {url}: certificates need an mqtts:// URL")
        return cls(u.hostname, u.port or default_port, tls, username, password or None,
                   ca_file, cert_file, key_file, nodes)


class ConnectRefused(FleetError):
    pass


def make_client(cfg: BrokerConfig, client_id: str, v5: bool) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
                         clean_session=None if v5 else True)
    if cfg.tls:
        client.tls_set(ca_certs=str(cfg.ca_file) if cfg.ca_file else None,
                       certfile=str(cfg.cert_file) if cfg.cert_file else None,
                       keyfile=str(cfg.key_file) if cfg.key_file else None)
    if cfg.username:
        client.username_pw_set(cfg.username, cfg.password)
    return client


class NodeRotation:
    """Which node of a cluster a client's next connection attempt goes to. The first attempt goes to
    `start` (kiosks spread over the nodes); every later one to the next node in the list, so a
    client whose node stopped (refused, reset, or silent until the keep-alive ran out) is on
    another node at its next attempt. With one address it always answers that one.

    On a cluster the MQTT client id carries the node (``<id>-n<index>``): RabbitMQ 3.10 keeps a
    client's QoS 1 queue (``mqtt-subscription-<client id>qos1``, durable even for a clean session)
    on the node it connected to, and once that node is down it refuses the same client id on every
    other node ("home node ... of durable queue ... is down", measured) until the node is back."""

    def __init__(self, addresses: tuple[tuple[str, int], ...], start: int = 0, client_id: str = ""):
        if not addresses:
            raise FleetError("a broker needs at least one address")
        self.addresses = addresses
        self.client_id = client_id
        self.index = start % len(addresses)
        self.attempts = 0
        self.moves = 0                       # attempts that went to another node than the one before

    def next_address(self) -> tuple[str, int]:
        if self.attempts and len(self.addresses) > 1:
            self.index = (self.index + 1) % len(self.addresses)
            self.moves += 1
        self.attempts += 1
        return self.addresses[self.index]

    @property
    def current(self) -> str:
        host, port = self.addresses[self.index]
        return f"{host}:{port}"

    def client_id_here(self) -> str:
        return f"{self.client_id}-n{self.index}" if len(self.addresses) > 1 else self.client_id

    def point(self, client: mqtt.Client) -> None:
        """Aim `client` at the next address (and, on a cluster, that node's client id); call it from
        paho's ``on_pre_connect`` (paho's own host/port setters refuse while it is connecting, the
        moment this hook runs; it has no client id setter)."""
        client._host, client._port = self.next_address()
        if len(self.addresses) > 1:
            client._client_id = self.client_id_here().encode()


def follow_nodes(client: mqtt.Client, cfg: BrokerConfig, start: int = 0) -> NodeRotation:
    """Every connection attempt of `client` (its first, paho's reconnects) goes to the next node."""
    rotation = NodeRotation(cfg.addresses, start, client._client_id.decode())
    client.on_pre_connect = lambda c, userdata: rotation.point(c)
    return rotation


def probe_protocol(cfg: BrokerConfig, timeout: float = 10.0) -> bool:
    """True if the broker accepts MQTT 5, False if only 3.1.1; FleetError if it cannot be reached.
    A cluster: the first node that answers."""
    errors = []
    for i in range(len(cfg.addresses)):
        try:
            return _probe_one(cfg.node(i), timeout)
        except FleetError as err:
            if "refused our credentials" in str(err):
                raise
            errors.append(str(err))
    raise FleetError("; ".join(errors))


def _probe_one(cfg: BrokerConfig, timeout: float) -> bool:
    for v5 in (True, False):
        client = make_client(cfg, f"edge-avatar-probe-{os.getpid()}-{threading.get_ident() % 10000}", v5)
        result: dict = {}
        done = threading.Event()

        def on_connect(c, userdata, flags, reason, props, result=result, done=done):
            result["reason"] = reason
            done.set()

        client.on_connect = on_connect
        client.on_disconnect = lambda *a, done=done: done.set()
        try:
            client.connect(cfg.host, cfg.port, keepalive=10)
        except (OSError, socket.error) as err:
            raise FleetError(f"broker {cfg.host}:{cfg.port}: cannot connect ({err})") from None
        client.loop_start()
        done.wait(timeout)
        client.disconnect()
        client.loop_stop()
        reason = result.get("reason")
        if reason is not None and not reason.is_failure:
            return v5
        if reason is not None and reason.value in (4, 5, 134, 135, 0x86, 0x87):
            raise FleetError(f"broker {cfg.host}:{cfg.port}: refused our credentials ({reason})")
    raise FleetError(f"broker {cfg.host}:{cfg.port}: accepted neither MQTT 5 nor MQTT 3.1.1")


def broker_config(args) -> BrokerConfig:
    """The broker named by a command's --broker/--credentials/--ca-file/--cert/--key arguments."""
    return BrokerConfig.from_args(args.broker, args.credentials, args.ca_file, args.cert, args.key)
