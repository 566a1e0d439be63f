"""MqttAgent: the device agent on a kiosk (paho-mqtt 2.x, VERSION2 callbacks, one thread each for
the network loop, installs, staff alerts and the clock). All decisions are in ``AgentCore``; this
file only moves bytes between it, the broker, the installer and the kiosk.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
import zlib
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from runtime.shared.durable_files import read_json, write_json_atomic

from .agent_core import (
    AgentCore,
    ApplySettings,
    FetchUrl,
    Identity,
    Install,
    Publish,
    RunCommand,
    Subscribe,
    Unsubscribe,
)
from .alert_store import ALERT_FILE, FileAlertStore
from .broker import BrokerConfig, NodeRotation, make_client, probe_protocol
from .bundle_keys import TrustedKeys
from .bundle_verifier import BundleLimits, BundleVerifier
from .chunk_store import FileChunkStore
from .device_control import DeviceControl
from .errors import BundleRejected
from .health_check import SelfTestHealthCheck
from .http_fetch import fetch_ranges
from .install_state import InstallState
from .rights_check import RightsPolicy, accept_revocation, rights_site
from .installer import BundleInstaller, HealthCheck
from .runtime_slot import RuntimeSlots, TrialTimes

_LOGGER = logging.getLogger(__name__)
_FINISH_RUNTIME = object()      # an install-loop job: take the launcher's verdict on a runtime trial in


class MqttAgent:
    def __init__(self, identity: Identity, broker: BrokerConfig, data_dir: Path, trusted: TrustedKeys,
                 control: DeviceControl, health_check: HealthCheck | None = None,
                 limits: BundleLimits = BundleLimits(), telemetry_interval_s: float = 30.0,
                 keepalive_s: int = 30, on_installed=None, region: str = "", rights_keys: tuple = (),
                 trial_times: TrialTimes = TrialTimes(), on_link=None):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.broker = broker
        self.control = control
        self.keepalive_s = keepalive_s
        self.trusted = trusted
        self.rights = RightsPolicy(rights_site(identity, region), tuple(rights_keys), self.data_dir)
        self.installer = BundleInstaller(self.data_dir, BundleVerifier(trusted, limits, self.rights),
                                         health_check or SelfTestHealthCheck(), identity.runtime_version,
                                         runtime_slots=RuntimeSlots(self.data_dir, trial_times))
        recovered = self.installer.recover()
        self.store = FileChunkStore(self.data_dir / "downloads")
        self.core = AgentCore(identity, self.installer, self.store, limits, telemetry_interval_s, http_fetch=True,
                              alerts=FileAlertStore(self.data_dir / ALERT_FILE))
        self._lock = threading.RLock()
        self._installs: queue.Queue = queue.Queue()
        self._alerts: queue.SimpleQueue = queue.SimpleQueue()     # staff alerts from the kiosk's thread
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.client: mqtt.Client | None = None
        self.v5 = True
        self.recovered = recovered
        self.on_installed = on_installed        # kind -> None, after a commit or rollback (embedded kiosk)
        self.on_link = on_link                  # bool -> None, the broker link up or down (the service health)
        self._runtime_offer = None              # a runtime bundle on trial: the launcher's verdict is awaited
        self._finishing = False                 # ... and its taking-in is queued for the install thread

    # ---- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        try:
            self.v5 = probe_protocol(self.broker)
        except Exception as err:  # broker away at boot: the kiosk runs on; paho keeps retrying
            _LOGGER.warning("fleet broker not reachable yet (%s); retrying in the background", err)
        _LOGGER.info("fleet agent %s: MQTT %s to %s:%d", self.core.id.device_id, "5" if self.v5 else "3.1.1",
                     self.broker.host, self.broker.port)
        self.client = make_client(self.broker, self.core.id.device_id, self.v5)
        # a cluster: kiosks spread over its nodes (a stable start per device), the next node after a loss
        self.nodes = NodeRotation(self.broker.addresses, zlib.crc32(self.core.id.device_id.encode()),
                                  self.core.id.device_id)
        self.client.reconnect_delay_set(1, 60)
        self.client.on_pre_connect = self._on_pre_connect
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self._next_session()
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=self.keepalive_s)
        self.client.loop_start()
        for target in (self._install_loop, self._alert_loop, self._clock_loop):
            t = threading.Thread(target=target, name=f"fleet-{target.__name__.strip('_')}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, graceful: bool = True) -> None:
        self._stop.set()
        self._installs.put(None)
        self._alerts.put(None)
        for t in self._threads:         # alerts raised before the stop are kept, and sent while connected
            if t.name == "fleet-alert_loop":
                t.join(timeout=5)
        if self.client:
            if graceful and self.core.online:
                info = self.client.publish(*self._will_args(online=False))
                info.wait_for_publish(2)
            self.client.disconnect()
            self.client.loop_stop()
        for t in self._threads:
            t.join(timeout=5)

    def _will_args(self, online: bool):
        p = self.core.will(self.core.session)
        return p.topic, p.payload, p.qos, p.retain

    def _next_session(self) -> int:
        """bdSeq: a counter persisted across restarts, in the birth and in the will."""
        path = self.data_dir / "agent.json"
        state = read_json(path, {})
        state["session"] = int(state.get("session", 0)) + 1
        write_json_atomic(path, state)
        will = self.core.will(state["session"])
        self.client.will_set(will.topic, will.payload, qos=1, retain=True)
        self._pending_session = state["session"]
        return state["session"]

    # ---- paho callbacks (network thread) -------------------------------------------------------
    def _on_pre_connect(self, client, userdata):
        if self.core.session == self._pending_session:      # a reconnect: new session, new will
            self._next_session()
        before = self.nodes.current
        self.nodes.point(client)
        if self.nodes.current != before:
            _LOGGER.info("fleet broker: trying node %s (was %s)", self.nodes.current, before)

    def _on_connect(self, client, userdata, flags, reason, props):
        if reason.is_failure:
            _LOGGER.warning("fleet broker refused the connection: %s", reason)
            return
        with self._lock:
            self._run(self.core.connected(self._pending_session, time.time()))
        if self.on_link:
            self.on_link(True)

    def _on_disconnect(self, client, userdata, flags, reason, props):
        with self._lock:
            self.core.disconnected()
        if self.on_link:
            self.on_link(False)
        if not self._stop.is_set():
            _LOGGER.warning("fleet broker connection lost (%s); reconnecting with back-off", reason)

    def _on_message(self, client, userdata, msg):
        props = getattr(msg, "properties", None)
        corr = getattr(props, "CorrelationData", None) if props else None
        resp = getattr(props, "ResponseTopic", None) if props else None
        with self._lock:
            self._run(self.core.message(msg.topic, msg.payload, time.time(), corr, resp))

    # ---- actions -------------------------------------------------------------------------------
    def _run(self, actions: list) -> None:
        for a in actions:
            if isinstance(a, Publish):
                props = None
                if a.correlation is not None and self.v5:
                    props = Properties(PacketTypes.PUBLISH)
                    props.CorrelationData = a.correlation
                self.client.publish(a.topic, a.payload, a.qos, a.retain, properties=props)
            elif isinstance(a, Subscribe):
                self.client.subscribe([(t, self.broker.subscribe_qos) for t in a.topics])
            elif isinstance(a, Unsubscribe):
                self.client.unsubscribe(list(a.topics))
            elif isinstance(a, (Install, RunCommand, ApplySettings, FetchUrl)):
                self._installs.put(a)          # slow work off the network thread, one at a time

    def _install_loop(self) -> None:
        while (action := self._installs.get()) is not None:
            try:
                if action is _FINISH_RUNTIME:
                    result = self._runtime_verdict(time.time())
                elif isinstance(action, Install):
                    result = self._install(action.offer)
                elif isinstance(action, RunCommand):
                    result = self._command(action.request)
                elif isinstance(action, FetchUrl):
                    error = fetch_ranges(action.offer, action.indices, self.store,
                                         on_chunk=lambda i, offer=action.offer: self._url_chunk(offer, i))
                    with self._lock:
                        result = self.core.url_fetched(action.offer, time.time(), error)
                else:
                    result = self._settings(action.settings)
            except Exception as err:  # never let one bad job stop the agent; report it
                _LOGGER.exception("fleet job %s failed", type(action).__name__)
                result = []
                if isinstance(action, Install):
                    with self._lock:
                        result = self.core.install_finished(action.offer, time.time(), InstallState.REJECTED,
                                                            "health-check-failed", f"{type(err).__name__}: {err}")
            with self._lock:
                self._run(result)

    def _url_chunk(self, offer, index: int) -> None:
        with self._lock:
            self._run(self.core.url_chunk(offer, index, time.time()))

    def _install(self, offer) -> list:
        now = dt.datetime.now(dt.timezone.utc)
        try:
            bundle = self.store.assemble(offer.bundle_id, len(offer.chunks))
            result = self.installer.install(bundle, offer.bundle_id, offer.kind, now)
            if result.state == InstallState.INSTALLING:          # a runtime slot, handed to the launcher
                self._runtime_offer = offer
                if result.restart:
                    self._restart_for(offer.kind)
                return []
            state, reason, detail = result.state, "", ""
            if result.state == InstallState.COMMITTED and self.on_installed:
                self.on_installed(offer.kind)
        except BundleRejected as err:
            state, reason, detail = InstallState.REJECTED, err.reason, err.detail
            _LOGGER.warning("%s %s refused: %s", offer.kind, offer.version, err)
        with self._lock:
            return self.core.install_finished(offer, time.time(), state, reason, detail)

    def _restart_for(self, kind: str) -> None:
        """The service restarts so that the launcher starts (and judges) the new runtime."""
        if self.on_installed:
            self.on_installed(kind)                                # the embedded kiosk: exit 75
            return
        code, message, _ = self.control.command("restart", {})    # the standalone agent: --restart-cmd
        if code != 200:
            _LOGGER.warning("runtime ready for its trial, but no restart: %s (it runs at the next start)", message)

    def _runtime_verdict(self, now: float) -> list:
        """The launcher judged the runtime on trial (in this process or the one before): report it."""
        offer = self._runtime_offer
        verdict = self.installer.runtime_slots.verdict() if offer else None
        if verdict is None or verdict.bundle_id != offer.bundle_id:
            self._finishing = False
            return []
        self._runtime_offer, self._finishing = None, False
        self.installer.finish_runtime()
        with self._lock:
            if verdict.outcome == "committed":
                return self.core.install_finished(offer, now, InstallState.COMMITTED)
            return self.core.install_finished(offer, now, InstallState.REJECTED, "health-check-failed", verdict.detail)

    def _command(self, request) -> list:
        if request.name == "rollback":
            kind = str(request.args.get("kind", ""))
            try:
                r = self.installer.roll_back(kind)
                code, message, data = 200, f"{kind} back on {r.version}", {"version": r.version}
                if self.on_installed:
                    self.on_installed(kind)
            except BundleRejected as err:
                code, message, data = 409, str(err), None
        elif request.name == "revoke":
            code, message, data = accept_revocation(request.args, self.trusted, self.data_dir)
        else:
            code, message, data = self.control.command(request.name, request.args)
        with self._lock:
            out = self.core.reply(request, code, message, data)
            if request.name == "rollback" and code == 200:
                out += self.core.rolled_back(str(request.args.get("kind")), time.time())
            return out

    def _settings(self, settings: dict) -> list:
        try:
            self.control.apply_settings(settings)
            error = None
        except Exception as err:  # a bad value from the admin: keep the old settings, say why
            error = f"{type(err).__name__}: {err}"
            _LOGGER.warning("desired settings refused: %s", error)
        with self._lock:
            return self.core.settings_finished(settings, error)

    # ---- staff alerts (from the kiosk) ---------------------------------------------------------
    def raise_alert(self, event: dict) -> None:
        """A staff alert (the kiosk's `staff-alert` event). Any thread; never waits: the alert is
        kept on disk and published on `fleet-alert_loop`, or at the next connection."""
        self._alerts.put(dict(event))

    def _alert_loop(self) -> None:
        while (event := self._alerts.get()) is not None:
            try:
                with self._lock:
                    self._run(self.core.raise_alert(event, time.time()))
            except Exception:  # never let one alert stop the next; the error is logged (and counted)
                _LOGGER.exception("staff alert %r could not be handled", event)

    def _clock_loop(self) -> None:
        while not self._stop.wait(1.0):
            now = time.time()
            offer = self._runtime_offer
            if offer and not self._finishing and self.installer.runtime_slots.verdict():
                self._finishing = True                 # taken in on the install thread (it writes the state)
                self._installs.put(_FINISH_RUNTIME)
            with self._lock:
                actions = self.core.tick(now)
                if self.core.telemetry_due(now):
                    actions += self.core.telemetry(self.control.telemetry(), now)
                self._run(actions)
