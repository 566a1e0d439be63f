"""The admin's link to every node of a broker cluster whose retained store is per node.

RabbitMQ 3.x (measured here: 3.10.8) routes live messages across the whole cluster but keeps MQTT
*retained* messages on the node that received them: a kiosk on node B never sees desired state
retained through node A, and a stopped node takes its retained copies with it. The fleet keeps
desired state and bundle chunks retained (the admin can go home), so on such a cluster the admin
writes every retained message through **every** node, and reads retained documents from every node,
keeping the newest copy (``newest``: a device's documents carry its session counter, desired state
its revision). A node that is away when the admin writes gets everything this admin wrote retained
again when its link comes back (``RetainedLedger``); one away when no admin runs is brought up to
date by the next desired-state change (it reads every node and writes the newest revision + 1 to all).

Why the admin and not the kiosk: a kiosk asking for its desired state on connect would need an admin
online to answer; written to every node, the state is there for any kiosk on any node at any time.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Callable

from . import topics as T
from .broker import BrokerConfig, make_client
from .errors import FleetError

_LOGGER = logging.getLogger(__name__)


def _rank(payload: bytes) -> tuple[int, int]:
    """How new a retained document is: (session, rev) from its JSON; raw or unparsable data ranks lowest."""
    try:
        doc = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return (-1, -1)
    if not isinstance(doc, dict):
        return (-1, -1)

    def number(key: str) -> int:
        value = doc.get(key)
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else -1
    return (number("session"), number("rev"))


def newest(copies: list[bytes | None]) -> bytes | None:
    """The newest of one topic's retained copies on several nodes (None: no node has one). Pure.
    Copies of the same rank (chunks, identical documents) are the same: the first is kept."""
    present = [c for c in copies if c]
    if not present:
        return None
    return max(present, key=_rank)          # max keeps the first of equal ranks


class RetainedLedger:
    """What this admin wrote retained (topic -> payload; an empty payload is a clear), to write again
    to a node that was away."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: dict[str, bytes] = {}

    def record(self, topic: str, payload: bytes) -> None:
        with self._lock:
            self._entries[topic] = payload

    def entries(self) -> list[tuple[str, bytes]]:
        with self._lock:
            return list(self._entries.items())


class NodeLink:
    """One paho client fixed to one node (it never moves): retained writes and reads there."""

    def __init__(self, cfg: BrokerConfig, client_id: str, v5: bool, ledger: RetainedLedger,
                 on_replayed: Callable[[object], None], keepalive_s: int = 30):
        self.name = f"{cfg.host}:{cfg.port}"
        self.ledger = ledger
        self.on_replayed = on_replayed
        self.barrier_prefix = f"{T.reply_prefix(client_id)}/barrier"
        self.client = make_client(cfg, client_id, v5)
        self.connected = threading.Event()
        self.connections = 0
        self.rewrites = 0                    # retained messages written again after the node came back
        self._lock = threading.Lock()
        # held while the node is brought up to date on connecting and while a write checks the link:
        # a write recorded after the catch-up read the ledger must not find the link "down" and skip it
        self._write_lock = threading.Lock()
        self.replayed: dict[str, bytes] = {}
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 10)
        self.client.connect_async(cfg.host, cfg.port, keepalive=keepalive_s)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason, props) -> None:
        if reason.is_failure:
            _LOGGER.warning("node %s refused the admin's connection: %s", self.name, reason)
            return
        client.subscribe(f"{self.barrier_prefix}/+", 0)     # BrokerConfig.subscribe_qos: a cluster
        with self._write_lock:
            self.connections += 1
            entries = self.ledger.entries()        # what was written while this node was away (or not yet
            if entries:                            # answering when the admin started): it may lack it
                _LOGGER.warning("node %s is back: writing its %d retained messages again", self.name, len(entries))
                for topic, payload in entries:
                    client.publish(topic, payload, qos=1, retain=True)
                self.rewrites += len(entries)
            self.connected.set()

    def write(self, topic: str, payload: bytes):
        """Publish one retained message (already in the ledger) if the link is up: (message info, the
        link's connection count then), or None when it is down (its catch-up on return writes it).
        Never both missed: a catch-up running now either read the entry or finishes before the check."""
        with self._write_lock:
            if not self.connected.is_set():
                return None
            return self.client.publish(topic, payload, qos=1, retain=True), self.connections

    def _on_disconnect(self, client, userdata, flags, reason, props) -> None:
        if self.connected.is_set():
            _LOGGER.warning("admin lost node %s (%s); its retained copies are written again when it is back",
                            self.name, reason)
        self.connected.clear()

    def _on_message(self, client, userdata, msg) -> None:
        with self._lock:
            self.replayed[msg.topic] = msg.payload
        if not msg.topic.startswith(self.barrier_prefix):
            self.on_replayed(msg)

    def start_replay(self, topics: list[str]) -> str:
        """Subscribe to `topics` (the node replays what it retains), then send ourselves a barrier:
        when it arrives the replay is over. Returns the barrier's topic."""
        with self._lock:
            for t in topics:
                self.replayed.pop(t, None)
        barrier = f"{self.barrier_prefix}/{uuid.uuid4().hex[:8]}"
        for i in range(0, len(topics), 100):
            self.client.subscribe([(t, 0) for t in topics[i:i + 100]])
        self.client.publish(barrier, b"{}", qos=1)
        return barrier

    def has(self, topic: str) -> bool:
        with self._lock:
            return topic in self.replayed

    def end_replay(self, topics: list[str], barrier: str) -> dict[str, bytes | None]:
        for i in range(0, len(topics), 100):
            self.client.unsubscribe(topics[i:i + 100])
        with self._lock:
            self.replayed.pop(barrier, None)
            return {t: self.replayed.get(t) for t in topics}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class NodeLinks:
    """A link to each node of the cluster: retained messages written through all, read from all."""

    def __init__(self, cfg: BrokerConfig, session: str, v5: bool, on_replayed: Callable[[object], None],
                 connect_timeout: float = 10.0):
        self.ledger = RetainedLedger()
        self.links = [NodeLink(cfg.node(i), f"{session}-link{i}", v5, self.ledger, on_replayed)
                      for i in range(len(cfg.addresses))]
        self.missed_writes = 0              # retained writes a node was away for (written again on its return)
        deadline = time.monotonic() + connect_timeout
        for link in self.links:
            link.connected.wait(max(0.0, deadline - time.monotonic()))
        if not any(link.connected.is_set() for link in self.links):
            raise FleetError(f"broker cluster {', '.join(link.name for link in self.links)}: no node answered "
                             f"within {connect_timeout:g} s")

    def live(self) -> list[NodeLink]:
        return [link for link in self.links if link.connected.is_set()]

    def publish_retained(self, topic: str, payload: bytes, wait_s: float = 60.0) -> list:
        """Through every node that is up now (the others get it when they are back); returns what
        ``settle`` waits on: (link, message info, the link's connection count then). With no node
        up, waits up to `wait_s` for one."""
        self.ledger.record(topic, payload)
        deadline = time.monotonic() + wait_s
        while not self.live() and time.monotonic() < deadline:
            time.sleep(0.1)
        pairs = []
        for link in self.links:
            sent = link.write(topic, payload)
            if sent is None:
                self.missed_writes += 1
            else:
                pairs.append((link, *sent))
        if not pairs:
            raise FleetError(f"{topic}: no node of the broker cluster answered within {wait_s:g} s")
        return pairs

    def settle(self, pairs: list, timeout: float) -> bool:
        """Wait until the write is on the cluster: True once at least one node acknowledged it (or
        took it again on reconnecting: ``RetainedLedger``) and every node either did or is down.
        Right after a node dies RabbitMQ 3.10 can throw out our links to the *other* nodes too (a
        publish routed to the dead node's queues is nacked, which the MQTT plugin does not handle:
        measured); they reconnect within seconds and write everything again."""
        def done(link, info, connections) -> bool:
            return info.is_published() or (link.connections > connections and link.connected.is_set())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = [done(*pair) for pair in pairs]
            if any(states) and all(ok or not pair[0].connected.is_set() for ok, pair in zip(states, pairs)):
                return True
            waiting = [info for ok, (link, info, _) in zip(states, pairs) if not ok and link.connected.is_set()]
            try:
                waiting[0].wait_for_publish(0.05) if waiting else time.sleep(0.05)
            except (RuntimeError, ValueError):      # not sent: the link dropped under it
                time.sleep(0.05)
        return False

    def read(self, topics: list[str], wait_s: float) -> dict[str, bytes | None]:
        """Each topic's newest retained copy over the nodes that are up (``newest``)."""
        live = self.live()
        barriers = [(link, link.start_replay(topics)) for link in live]
        deadline = time.monotonic() + wait_s
        copies: dict[str, list] = {t: [] for t in topics}
        for link, barrier in barriers:
            while not link.has(barrier) and time.monotonic() < deadline and link.connected.is_set():
                time.sleep(0.02)
            got = link.end_replay(topics, barrier)
            for t in topics:
                copies[t].append(got[t])
        return {t: newest(c) for t, c in copies.items()}

    def stats(self) -> dict:
        return {"nodes": len(self.links), "live": len(self.live()), "missed_writes": self.missed_writes,
                "rewrites": sum(link.rewrites for link in self.links)}

    def close(self) -> None:
        for link in self.links:
            link.close()
