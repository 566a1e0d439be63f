"""FleetAdmin: what `edge-avatar fleet ...` does over MQTT (paho 2.x, VERSION2 callbacks).

It learns the fleet by asking every device to announce itself (retained statuses are only
an optimisation: RabbitMQ does not replay them to wildcard subscriptions), publishes bundles
as retained chunks (a device fetches what it misses, when it can; the admin need not stay
online), edits retained desired state, and sends commands with a response topic +
correlation data (MQTT 5) or the same fields in the payload (3.1.1).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from pathlib import Path
from typing import Callable

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from . import push_wait
from . import topics as T
from .broker import BrokerConfig, follow_nodes, make_client, probe_protocol
from .device_view import DeviceView
from .errors import FleetError
from .install_state import InstallState
from .messages import Desired, Offer, decode, encode
from .node_links import NodeLinks
from .offers import CHUNK_SIZE, make_offer, read_offer_info  # noqa: F401 (the admin's API)
from .push_verdict import Deadlines, DeviceVerdict, Verdict
from .push_watch import install_record

_LOGGER = logging.getLogger(__name__)



def parse_target(text: str) -> tuple[str, str]:
    kind, _, name = (text or "").partition(":")
    if kind not in ("device", "group") or not name:
        raise FleetError(f"--to {text!r}: expected device:ID or group:NAME")
    T.check_id(name, kind)
    return kind, name


class FleetAdmin:
    def __init__(self, broker: BrokerConfig, admin_id: str | None = None, keepalive_s: int = 30):
        self.broker = broker
        self.session = admin_id or f"admin-{uuid.uuid4().hex[:10]}"
        self.v5 = probe_protocol(broker)
        self.client = make_client(broker, self.session, self.v5)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.devices: dict[str, DeviceView] = {}
        self.events: list[dict] = []
        self.messages = 0                  # messages seen: a watcher compares it to know something came in
        self.replies: list[dict] = []
        self._retained: dict[str, bytes] = {}
        self._connected = threading.Event()
        self.reconnects = 0
        self.rereads = 0                     # devices read again from retained documents while waiting
        self.reread_corrections = 0          # ... whose live view was wrong (a message the broker dropped)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 10)
        # a cluster: live messages through one node (the next one after a loss); retained ones through each
        self.node_rotation = follow_nodes(self.client, broker)
        self.nodes = NodeLinks(broker, self.session, self.v5, self._on_replayed) if len(broker.addresses) > 1 else None
        self.client.connect(broker.host, broker.port, keepalive=keepalive_s)
        self.client.loop_start()
        if not self._connected.wait(10):
            raise FleetError(f"broker {broker.host}:{broker.port}: no CONNACK within 10 s")

    def _on_connect(self, client, userdata, flags, reason, props) -> None:
        """Subscribe on every connection: a new session (a broker restart, a keep-alive drop) has
        none, and without them the admin would watch a fleet that no longer tells it anything.
        After a reconnect, devices are asked to announce: what they said meanwhile was missed."""
        if reason.is_failure:
            _LOGGER.warning("broker refused the admin's connection: %s", reason)
            return
        qos = self.broker.subscribe_qos
        client.subscribe([(T.device_wildcard(leaf), qos) for leaf in (T.STATUS, T.REPORTED, T.TELEMETRY, T.EVENTS)]
                         + [(f"{T.reply_prefix(self.session)}/+", qos)])
        if self._connected.is_set():
            self.reconnects += 1
            _LOGGER.warning("admin reconnected to the broker (%d): asking every device to announce", self.reconnects)
            self._announce()
        self._connected.set()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        if self.nodes is not None:
            self.nodes.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- incoming ------------------------------------------------------------------------------
    def _on_message(self, client, userdata, msg):
        with self._changed:
            self._retained[msg.topic] = msg.payload
            parsed = T.parse_device_topic(msg.topic)
            try:
                if parsed:
                    device_id, leaf = parsed
                    doc = decode(msg.topic, msg.payload) if msg.payload else {}
                    view = self.devices.setdefault(device_id, DeviceView(device_id))
                    if leaf == T.STATUS:
                        self._status(view, doc)
                    elif leaf == T.REPORTED:
                        view.reported = doc
                    elif leaf == T.TELEMETRY:
                        view.telemetry = doc
                    elif leaf == T.EVENTS:
                        self.events.append(doc)
                    view.last_seen = time.time() if leaf != T.STATUS or doc.get("online") else view.last_seen
                elif msg.topic.startswith(T.reply_prefix(self.session)) and "/barrier-" not in msg.topic:
                    self.replies.append(decode(msg.topic, msg.payload))
            except FleetError as err:
                _LOGGER.warning("%s", err)
            self.messages += 1
            self._changed.notify_all()

    def _on_replayed(self, msg) -> None:
        """A retained copy one node of a cluster replayed: it may be older than what we know (each
        node keeps its own), so a device document from an earlier session than ours is dropped."""
        parsed = T.parse_device_topic(msg.topic)
        if parsed and parsed[1] in (T.STATUS, T.REPORTED) and msg.payload:
            with self._lock:
                view = self.devices.get(parsed[0])
                known = (view.status if parsed[1] == T.STATUS else view.reported) if view else {}
            try:
                if int(decode(msg.topic, msg.payload).get("session", -1)) < int(known.get("session", -1)):
                    return
            except (FleetError, TypeError, ValueError):
                pass
        self._on_message(self.client, None, msg)

    @staticmethod
    def _status(view: DeviceView, doc: dict) -> None:
        """A will older than the birth we saw is stale (the device is back): keep the birth."""
        if (not doc.get("online") and view.status.get("online")
                and int(doc.get("session", -1)) < int(view.status.get("session", -1))):
            return
        view.status = doc

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.5))
        return True

    # ---- fleet view ----------------------------------------------------------------------------
    def discover(self, settle_s: float = 1.5, timeout: float = 5.0, expect: int | None = None) -> dict[str, DeviceView]:
        """Ask every device to announce itself; wait until answers stop coming, or until `expect`
        devices are known (status and report; asking again every few seconds for kiosks still starting
        up or whose other document has not come yet)."""
        self._announce()
        start = last_change = asked = time.monotonic()
        last_count = -1
        while time.monotonic() - start < timeout:
            with self._lock:
                count = sum(1 for v in self.devices.values() if v.known)
            if expect is not None:
                if count >= expect:
                    break
                if time.monotonic() - asked > 3.0:
                    self._announce()
                    asked = time.monotonic()
            elif count != last_count:
                last_count, last_change = count, time.monotonic()
            elif time.monotonic() - last_change >= settle_s:
                break
            time.sleep(0.1)
        with self._lock:
            return dict(sorted(self.devices.items()))

    def _announce(self) -> None:
        self.client.publish(T.ANNOUNCE, encode({"from": self.session, "ts": time.time()}), qos=1)

    def group_members(self, group: str) -> list[str]:
        with self._lock:
            return sorted(d for d, v in self.devices.items() if group in v.status.get("groups", []))

    # ---- bundles -------------------------------------------------------------------------------
    def publish_bundle(self, bundle: Path, progress: Callable[[int, int], None] | None = None,
                       chunk_size: int = CHUNK_SIZE, inflight: int = 16, url: str | None = None) -> Offer:
        """Every chunk retained (QoS 1), at most `inflight` unacknowledged: the broker is never flooded.
        With `url` (the same file on an HTTP(S) server), devices fetch from there first."""
        offer, chunks = make_offer(bundle, chunk_size, url)
        pending: list[list] = []
        for i, data in enumerate(chunks):
            pending.append(self._publish_retained(T.chunk(offer.bundle_id, i), data))
            while len(pending) >= inflight:
                self._settle(pending.pop(0), 30)
            if progress:
                progress(i + 1, len(chunks))
        for pairs in pending:
            if not self._settle(pairs, 30):
                raise FleetError(f"bundle {offer.bundle_id[:12]}: the broker did not acknowledge a chunk")
        return offer

    def _publish_retained(self, topic: str, payload: bytes) -> list:
        """One broker: through our client. A cluster: through every node (``NodeLinks``)."""
        if self.nodes is not None:
            return self.nodes.publish_retained(topic, payload)
        return [(None, self.client.publish(topic, payload, qos=1, retain=True))]

    def _settle(self, pairs: list, timeout: float) -> bool:
        """Wait for the broker's acknowledgement of a ``_publish_retained``; True once acknowledged."""
        if self.nodes is not None:
            return self.nodes.settle(pairs, timeout)
        for _, info in pairs:
            info.wait_for_publish(timeout)
        return all(info.is_published() for _, info in pairs)

    def unpublish_bundle(self, offer: Offer) -> None:
        """Clear the retained chunks (empty retained messages) once every device has it."""
        for pairs in [self._publish_retained(T.chunk(offer.bundle_id, i), b"") for i in range(len(offer.chunks))]:
            self._settle(pairs, 30)

    def read_retained(self, topic: str, wait_s: float = 5.0) -> bytes | None:
        return self.read_retained_many([topic], wait_s)[topic]

    def read_retained_many(self, topics: list[str], wait_s: float = 5.0) -> dict[str, bytes | None]:
        """Retained messages on exact topics (exact topics replay retained on every broker)."""
        if self.nodes is not None:                 # each node's newest copy (``node_links.newest``)
            return self.nodes.read(topics, wait_s)
        with self._lock:
            for t in topics:
                self._retained.pop(t, None)
        self._replay(topics, wait_s)
        with self._lock:
            return {t: self._retained.get(t) or None for t in topics}

    def _replay(self, topics: list[str], wait_s: float) -> None:
        """Subscribe, let the broker replay what it retains, unsubscribe. A barrier message to
        ourselves after the SUBSCRIBE tells when the replay is over, so a topic with nothing
        retained costs a round trip, not a timeout. A cluster: every node replays (into our view)."""
        if self.nodes is not None:
            self.nodes.read(topics, wait_s)
            return
        barrier = f"{T.reply_prefix(self.session)}/barrier-{uuid.uuid4().hex[:8]}"
        for i in range(0, len(topics), 100):
            self.client.subscribe([(t, 1) for t in topics[i:i + 100]])
        self.client.publish(barrier, b"{}", qos=1)
        self.wait_until(lambda: barrier in self._retained, wait_s)
        for i in range(0, len(topics), 100):
            self.client.unsubscribe(topics[i:i + 100])

    def desired_topic(self, target: tuple[str, str]) -> str:
        kind, name = target
        return T.device(name, T.DESIRED) if kind == "device" else T.group(name, T.DESIRED)

    def update_desired(self, target: tuple[str, str], bundles: dict | None = None,
                       settings: dict | None = None) -> Desired:
        return self.update_desired_many([target], bundles, settings)[0]

    def update_desired_many(self, targets: list[tuple[str, str]], bundles: dict | None = None,
                            settings: dict | None = None) -> list[Desired]:
        """Read each target's retained desired state, merge the change, bump rev, publish retained."""
        topics = [self.desired_topic(t) for t in targets]
        current = self.read_retained_many(topics)
        out, infos = [], []
        for topic in topics:
            old = Desired.parse(topic, current[topic] or b"")
            new = Desired(old.rev + 1, {**old.bundles, **(bundles or {})}, {**old.settings, **(settings or {})})
            infos.append((topic, self._publish_retained(topic, encode(new.as_json()))))
            out.append(new)
        for topic, pairs in infos:
            if not self._settle(pairs, 10):
                raise FleetError(f"{topic}: the broker did not acknowledge the desired state")
        return out

    def wait_for_verdicts(self, devices: list[str], bundle_id: str, timeout: float,
                          deadlines: Deadlines = Deadlines(),
                          progress: Callable[[dict[str, DeviceVerdict]], None] | None = None
                          ) -> dict[str, DeviceVerdict]:
        """device -> its verdict, once every device has one (committed, refused, failed, stuck at a
        step, offline; ``push_verdict``), quiet devices read again from the broker's retained
        documents (``push_wait``); at `timeout` a device still moving is stuck where it is."""
        return push_wait.wait_for_verdicts(self, devices, bundle_id, timeout, deadlines, progress)

    def wait_for_installs(self, devices: list[str], bundle_id: str, timeout: float,
                          progress: Callable[[dict], None] | None = None,
                          deadlines: Deadlines = Deadlines()) -> dict[str, dict]:
        """device -> its install record once final (committed/rejected/failed); a device stuck or
        offline gets a timeout record with its verdict (``wait_for_verdicts``)."""
        states = (lambda verdicts: progress({d: v.step for d, v in verdicts.items()})) if progress else None
        verdicts = self.wait_for_verdicts(devices, bundle_id, timeout, deadlines, states)
        out = {}
        with self._lock:
            for d, v in verdicts.items():
                rec = install_record(self.devices[d].reported if d in self.devices else {}, bundle_id) or {}
                if v.verdict in (Verdict.STUCK, Verdict.OFFLINE):
                    rec = {**rec, "state": InstallState.TIMEOUT, "verdict": v.describe()}
                out[d] = rec
        return out

    # ---- staff alerts --------------------------------------------------------------------------
    def alerts(self, device_id: str | None = None, wait_s: float = 5.0) -> list[dict]:
        """The staff alerts retained on the broker (not yet acknowledged) of one device or of the
        fleet, oldest first. Read on exact topics, from the ids each device's `reported.alerts`
        lists (every broker replays those), and on a wildcard (Mosquitto replays it too, offline
        kiosks' alerts included; RabbitMQ does not)."""
        if device_id is None:
            reported = {d: v.reported for d, v in self.discover().items()}
        else:
            raw = self.read_retained(T.device(device_id, T.REPORTED), wait_s)
            reported = {device_id: decode(T.device(device_id, T.REPORTED), raw) if raw else {}}
        exact = []
        for device, doc in reported.items():
            for alert_id in doc.get("alerts") or []:
                try:
                    exact.append(T.alert(device, alert_id))
                except T.TopicError as err:
                    _LOGGER.warning("%s: reported.alerts: %s", device, err)
        with self._lock:
            for t in [t for t in self._retained if T.parse_alert_topic(t)]:
                del self._retained[t]
        self._replay([T.alert_wildcard(device_id), *exact], wait_s)
        out = []
        with self._lock:
            for topic, payload in self._retained.items():
                parsed = T.parse_alert_topic(topic)
                if parsed and payload and device_id in (None, parsed[0]):
                    try:
                        out.append(decode(topic, payload))
                    except FleetError as err:
                        _LOGGER.warning("%s", err)
        return sorted(out, key=lambda a: (str(a.get("raised_at")), str(a.get("device")), str(a.get("id"))))

    def ack_alert(self, device_id: str, alert_id: str, wait_s: float = 5.0) -> dict | None:
        """Acknowledge a staff alert: clear its retained message (an empty retained message; the
        device sees it and forgets the alert). The alert cleared, or None if none was retained."""
        topic = T.alert(device_id, alert_id)
        raw = self.read_retained(topic, wait_s)
        if not raw:
            return None
        if not self._settle(self._publish_retained(topic, b""), 10):
            raise FleetError(f"{topic}: the broker did not acknowledge the clear")
        try:
            return decode(topic, raw)
        except FleetError:                       # not an alert the agent wrote; cleared all the same
            return {"id": alert_id, "device": device_id}

    # ---- commands ------------------------------------------------------------------------------
    def command(self, target: tuple[str, str], name: str, args: dict | None = None, expect: int = 1,
                timeout: float = 10.0, expiry_s: int = 60) -> list[dict]:
        kind, who = target
        topic = T.device(who, T.CMD) if kind == "device" else T.group(who, T.CMD)
        correlation = uuid.uuid4().hex
        reply_to = T.reply_prefix(self.session)
        body = {"name": name, "args": args or {}, "reply_to": reply_to, "correlation": correlation,
                "expires_at": time.time() + expiry_s}
        props = None
        if self.v5:
            props = Properties(PacketTypes.PUBLISH)
            props.ResponseTopic = reply_to
            props.CorrelationData = correlation.encode()
            props.MessageExpiryInterval = max(1, expiry_s)
        self.client.publish(topic, encode(body), qos=1, properties=props).wait_for_publish(10)

        def mine():
            return [r for r in self.replies if r.get("correlation") == correlation]
        self.wait_until(lambda: len(mine()) >= expect, timeout)
        with self._lock:
            return mine()


def dump_devices(views: dict[str, DeviceView]) -> str:
    return json.dumps([v.as_json() for v in views.values()], indent=1, ensure_ascii=False)
