"""FleetSimulator: many lightweight agents in one process, one thread, one selector.

Each simulated kiosk is a real ``AgentCore`` with its own paho client and MQTT session
(presence, will, desired state, chunked download with every chunk's sha256 checked,
commands, telemetry). What it skips: writing chunks to disk, unpacking and the runtime
self-test; an install commits at once unless the device is told to fail its health check.
A kiosk whose connection drops (keep-alive, a broker restart) reconnects with jittered
back-off, as paho's own loop does on a real kiosk; every drop is counted with its reason.
"""

from __future__ import annotations

import logging
import random
import selectors
import time
from collections import Counter
from dataclasses import dataclass, field

from concurrent.futures import Future, ThreadPoolExecutor

from .agent_core import (AgentCore, ApplySettings, FetchUrl, Identity, Install, Publish, RunCommand, Subscribe,
                         Unsubscribe)
from .broker import BrokerConfig, follow_nodes, make_client
from .chunk_download import RetryTimings
from .chunk_store import CountingChunkStore
from .http_fetch import fetch_ranges
from .sim_link import KioskLink, Link
from .install_state import InstallState

_LOGGER = logging.getLogger(__name__)


@dataclass
class SimulatedState:
    """The installer side of a simulated kiosk (versions, what it installed or refused)."""
    fail_health: bool = False
    kinds: dict = field(default_factory=dict)
    installed: set = field(default_factory=set)
    refused: dict = field(default_factory=dict)

    def versions(self) -> dict[str, str]:
        return dict(sorted(self.kinds.items()))

    def was_installed(self, bundle_id: str) -> bool:
        return bundle_id in self.installed

    def refusal(self, bundle_id: str) -> dict | None:
        return self.refused.get(bundle_id)


@dataclass
class _Fetch:
    """One kiosk's HTTP(S) download under way: the chunks still to fetch, the first of them in flight."""
    kiosk: "SimulatedKiosk"
    action: FetchUrl
    left: list[int]
    future: Future


class SimulatedKiosk:
    def __init__(self, sim: "FleetSimulator", identity: Identity, state: SimulatedState, index: int = 0):
        self.sim = sim
        self.state = state
        self.store = CountingChunkStore()
        self.core = AgentCore(identity, state, self.store, telemetry_interval_s=sim.telemetry_interval_s,
                              retry=sim.retry, http_fetch=sim.http_workers > 0)
        self.client = make_client(sim.broker, identity.device_id, sim.v5)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.nodes = follow_nodes(self.client, sim.broker, start=index)   # a cluster: kiosk i starts on node i % N
        self.session = 1
        will = self.core.will(self.session)
        self.client.will_set(will.topic, will.payload, 1, True)
        self.sock = None                    # the socket registered with the simulator's selector
        self.link = KioskLink()
        self.committed_at: dict[str, float] = {}
        self.messages_in = 0
        self.bytes_in = 0

    def _on_connect(self, client, userdata, flags, reason, props):
        if not reason.is_failure:
            self.link.up()
            self.run(self.core.connected(self.session, time.time()))

    def _on_disconnect(self, client, userdata, flags, reason, props):
        self.core.disconnected()
        self.sim.dropped(self, str(reason))

    def _on_message(self, client, userdata, msg):
        self.messages_in += 1
        self.bytes_in += len(msg.payload)
        props = getattr(msg, "properties", None)
        self.run(self.core.message(msg.topic, msg.payload, time.time(),
                                   getattr(props, "CorrelationData", None) if props else None,
                                   getattr(props, "ResponseTopic", None) if props else None))

    def run(self, actions: list) -> None:
        for a in actions:
            if isinstance(a, Publish):
                self.client.publish(a.topic, a.payload, a.qos, a.retain)
                self.sim.published += 1
            elif isinstance(a, Subscribe):
                self.client.subscribe([(t, self.sim.broker.subscribe_qos) for t in a.topics])
            elif isinstance(a, Unsubscribe):
                self.client.unsubscribe(list(a.topics))
            elif isinstance(a, Install):
                self.run(self._install(a.offer))
            elif isinstance(a, RunCommand):
                self.run(self.core.reply(a.request, 200, f"simulated {a.request.name}"))
            elif isinstance(a, ApplySettings):
                self.run(self.core.settings_finished(a.settings, None))
            elif isinstance(a, FetchUrl):
                self.sim.fetch(self, a)

    def _install(self, offer) -> list:
        now = time.time()
        if self.state.fail_health:
            self.state.refused[offer.bundle_id] = {"reason": "health-check-failed",
                                                   "detail": "simulated self-test failure"}
            return self.core.install_finished(offer, now, InstallState.REJECTED, "health-check-failed",
                                              "simulated self-test failure")
        self.state.kinds[offer.kind] = offer.version
        self.state.installed.add(offer.bundle_id)
        self.committed_at[offer.bundle_id] = now
        return self.core.install_finished(offer, now, InstallState.COMMITTED)


class FleetSimulator:
    def __init__(self, broker: BrokerConfig, count: int, group: str = "sim", prefix: str = "sim",
                 failing: set[str] = frozenset(), v5: bool = False, telemetry_interval_s: float = 60.0,
                 keepalive_s: int = 60, seed: int = 0, retry: RetryTimings = RetryTimings(),
                 http_workers: int = 0):
        self.broker = broker
        self.http_workers = http_workers          # > 0: kiosks fetch an offer's `url` (Range requests) first
        self._pool = ThreadPoolExecutor(http_workers, "sim-http") if http_workers > 0 else None
        self._fetches: list[_Fetch] = []
        self.http = Counter()                     # fetches done / failed (with the fallback to MQTT chunks)
        self.retry = retry
        self.v5 = v5
        self.telemetry_interval_s = telemetry_interval_s
        self.keepalive_s = keepalive_s
        self.published = 0
        self.drops: Counter = Counter()           # reason -> connections lost
        self.reconnects = 0
        self._rng = random.Random(seed)
        self.kiosks = [SimulatedKiosk(self, Identity(f"{prefix}-{i:04d}", (group,), f"site-{i % 20:02d}"),
                                      SimulatedState(fail_health=f"{prefix}-{i:04d}" in failing), i)
                       for i in range(count)]
        self._selector = selectors.DefaultSelector()
        self._misc_at = 0.0

    def connect(self, timeout: float = 60.0) -> None:
        for k in self.kiosks:
            k.client.connect(self.broker.host, self.broker.port, keepalive=self.keepalive_s)
            self._watch(k)
        deadline = time.monotonic() + timeout
        while not all(k.core.online for k in self.kiosks):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{sum(k.core.online for k in self.kiosks)}/{len(self.kiosks)} connected")
            self.step(0.05)

    def _watch(self, k: SimulatedKiosk) -> None:
        k.sock = k.client.socket()
        self._selector.register(k.sock, selectors.EVENT_READ, k)

    def dropped(self, k: SimulatedKiosk, reason: str) -> None:
        """A kiosk's connection is gone: forget its socket, count why (once per loss), reconnect later."""
        if k.sock is not None:
            try:
                self._selector.unregister(k.sock)
            except (KeyError, ValueError):
                pass
            k.sock = None
        if k.link.lost(time.monotonic(), self._rng.random()):
            self.drops[reason] += 1

    def _reconnect_due(self) -> None:
        now = time.monotonic()
        for k in self.kiosks:
            if not k.link.due(now):
                continue
            k.session += 1                        # a new connection: a new session in birth and will
            will = k.core.will(k.session)
            k.client.will_set(will.topic, will.payload, 1, True)
            try:
                k.client.reconnect()
            except OSError as err:                # broker still away: try again later
                self.drops[f"reconnect failed: {type(err).__name__}"] += 1
                k.link.refused(now, self._rng.random())
                continue
            k.link.connecting()
            self.reconnects += 1
            self._watch(k)

    def fetch(self, k: SimulatedKiosk, action: FetchUrl) -> None:
        """An HTTP(S) download on the worker threads, one chunk at a time: each kiosk's next chunk
        queues behind every other kiosk's, as a thousand kiosks share one server, so every download
        moves (and reports progress) at once rather than a kiosk waiting whole in a queue. Each
        result comes back to the kiosk's core in `step`."""
        self._fetches.append(_Fetch(k, action, list(action.indices), self._submit(k, action, action.indices[0])))

    def _submit(self, k: SimulatedKiosk, action: FetchUrl, index: int) -> Future:
        return self._pool.submit(fetch_ranges, action.offer, (index,), k.store)

    def _fetches_done(self) -> None:
        if not self._fetches:
            return
        running = []
        now = time.time()
        for f in self._fetches:
            if not f.future.done():
                running.append(f)
                continue
            try:
                error = f.future.result()
            except Exception as err:  # a worker's surprise is a failed fetch: MQTT chunks take over
                error = f"{type(err).__name__}: {err}"
            index = f.left.pop(0)
            if not error:
                f.kiosk.run(f.kiosk.core.url_chunk(f.action.offer, index, now))
            if f.left and not error:
                f.future = self._submit(f.kiosk, f.action, f.left[0])
                running.append(f)
                continue
            self.http["failed" if error else "done"] += 1
            f.kiosk.run(f.kiosk.core.url_fetched(f.action.offer, now, error))
        self._fetches = running

    def step(self, timeout: float = 0.05) -> None:
        self._fetches_done()
        for key, _ in self._selector.select(timeout):
            key.data.client.loop_read()
        now = time.time()
        for k in self.kiosks:
            if k.link.carries_traffic and k.client.want_write():
                k.client.loop_write()
        if now - self._misc_at > 1.0:
            self._misc_at = now
            self._reconnect_due()
            for k in self.kiosks:
                if k.link.carries_traffic:
                    k.client.loop_misc()
                k.run(k.core.tick(now))
                if k.core.telemetry_due(now):
                    k.run(k.core.telemetry({"health": {"simulated": True}, "fps": 60.0, "interactions": 0,
                                            "barge_ins": 0, "errors": {"count": 0}}, now))

    def stats(self) -> dict:
        """Connections lost (by reason) and made again: what the run went through."""
        return {"online": sum(k.link.state is Link.ONLINE for k in self.kiosks), "devices": len(self.kiosks),
                "drops": dict(self.drops), "reconnects": self.reconnects,
                "chunk_retries": sum(k.core.pipeline.chunk_retries for k in self.kiosks),
                "illegal_link_moves": sum(k.link.illegal_moves for k in self.kiosks), "http_fetches": dict(self.http),
                "node_moves": sum(k.nodes.moves for k in self.kiosks),
                "online_by_node": dict(sorted(Counter(k.nodes.current for k in self.kiosks
                                                      if k.link.state is Link.ONLINE).items()))}

    def run_until(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            self.step(0.02)
        return predicate()

    def close(self) -> None:
        for k in self.kiosks:
            live = k.link.carries_traffic
            k.link.close()
            if live:
                k.client.disconnect()
                k.client.loop_write()
        self._selector.close()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
