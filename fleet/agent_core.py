"""AgentCore: the device agent's decisions, without sockets, threads or clocks (sans-IO).

The driver (``agent.MqttAgent`` on a kiosk, ``simulator`` for a thousand of them) feeds it
connection changes, messages, ticks and finished installs, each with ``now``; it answers
with actions: ``Publish``, ``Subscribe``, ``Unsubscribe``, ``Install``, ``FetchUrl``,
``RunCommand``, ``ApplySettings``. It routes each input to the part that decides:
presence and documents (``agent_documents``), desired state (``agent_desired``), the
install pipeline (``install_pipeline``), commands (``agent_commands``), telemetry
(``agent_telemetry``) and staff alerts (``agent_alerts``).
"""

from __future__ import annotations

import logging
from collections import deque

from . import agent_documents as docs
from . import topics as T
from .agent_actions import (
    ApplySettings,
    ChunkStore,
    CommandRequest,
    FetchUrl,
    Identity,
    Install,
    InstalledState,
    Publish,
    RunCommand,
    Subscribe,
    Unsubscribe,
)
from .agent_alerts import AlertBook, AlertStore, MemoryAlertStore
from .agent_commands import parse_command
from .agent_commands import reply as command_reply
from .agent_desired import DesiredState
from .agent_telemetry import TelemetryBuffer
from .bundle_verifier import BundleLimits
from .chunk_download import RetryTimings
from .install_pipeline import InstallPipeline
from .install_state import InstallState
from .messages import MessageError, Offer, decode

__all__ = ["AgentCore", "ApplySettings", "ChunkStore", "CommandRequest", "FetchUrl", "Identity", "Install",
           "InstalledState", "Publish", "RunCommand", "Subscribe", "Unsubscribe"]

_LOGGER = logging.getLogger(__name__)


class AgentCore:
    def __init__(self, identity: Identity, installed: InstalledState, chunks: ChunkStore,
                 limits: BundleLimits = BundleLimits(), telemetry_interval_s: float = 30.0,
                 telemetry_buffer: int = 256, http_fetch: bool = False, alerts: AlertStore | None = None,
                 retry: RetryTimings = RetryTimings()):
        self.id = identity
        self.installed = installed
        self.session = 0
        self.online = False
        self.hwtest: dict | None = None
        self.desired = DesiredState()
        self.pipeline = InstallPipeline(installed, chunks, limits, http_fetch, reports=self,
                                        seed=identity.device_id, retry=retry)
        self.telemetry_buffer = TelemetryBuffer(telemetry_interval_s, telemetry_buffer)
        self.alerts = AlertBook(identity.device_id, alerts if alerts is not None else MemoryAlertStore())

    @property
    def installs(self) -> dict[str, dict]:
        """kind -> what the admin sees in `reported.installs`."""
        return self.pipeline.records.by_kind

    @property
    def telemetry_dropped(self) -> int:
        return self.telemetry_buffer.dropped

    @property
    def _telemetry(self) -> deque:
        """The records kept while offline (the offline tests watch it drain)."""
        return self.telemetry_buffer.backlog

    # ---- documents -----------------------------------------------------------------------------
    def t(self, leaf: str) -> str:
        return T.device(self.id.device_id, leaf)

    def will(self, session: int) -> Publish:
        return docs.will(self.id, session)

    def subscriptions(self) -> tuple[str, ...]:
        return docs.subscriptions(self.id)

    def status_doc(self, online: bool = True) -> dict:
        return docs.status_doc(self.id, self.session, self.installed.versions(), self.hwtest, online)

    def reported_doc(self) -> dict:
        return docs.reported_doc(self.id, self.session, self.installed.versions(), self.installs,
                                 self.desired.settings_applied, self.desired.settings_error, self.desired.revs(),
                                 [a.id for a in self.alerts.pending], self.alerts.last_problem)

    def birth(self) -> list:
        return [docs.publish_retained(self.id, T.STATUS, self.status_doc()), *self.report()]

    def report(self) -> list:
        return [docs.publish_retained(self.id, T.REPORTED, self.reported_doc())]

    def event(self, event_name: str, now: float, **fields) -> Publish:
        return docs.event(self.id, event_name, now, **fields)

    # ---- connection ----------------------------------------------------------------------------
    def connected(self, session: int, now: float) -> list:
        self.session, self.online = session, True
        actions: list = [Subscribe(self.subscriptions()), *self.birth()]
        actions += [docs.telemetry(self.id, record) for record in self.telemetry_buffer.drain()]
        return actions + self.alerts.republish() + self.pipeline.resume(now)

    def disconnected(self) -> None:
        self.online = False

    # ---- messages ------------------------------------------------------------------------------
    def message(self, topic: str, payload: bytes, now: float, correlation: bytes | None = None,
                response_topic: str | None = None) -> list:
        try:
            if topic.startswith(f"{T.ROOT}/bundles/"):
                return self.pipeline.chunk(topic, payload, now)
            if (alert := T.parse_alert_topic(topic)) and alert[0] == self.id.device_id:
                actions, changed = self.alerts.message(topic, alert[1], payload)
                return actions + (self.report() if changed else [])
            if topic == T.ANNOUNCE:
                return self.birth()
            if topic == self.t(T.STATUS):
                return self._own_status(payload)
            if topic == self.t(T.HWTEST):
                self.hwtest = docs.hwtest_summary(decode(topic, payload)) if payload else None
                return self.birth()[:1]          # status carries it: admins see it without wildcards
            if topic.endswith(f"/{T.DESIRED}"):
                self.desired.update(topic, payload)
                return self.reconcile(now)
            if topic.endswith(f"/{T.CMD}"):
                return self._command(topic, payload, now, correlation, response_topic)
        except MessageError as err:
            _LOGGER.warning("%s", err)
            return [self.event("bad-message", now, topic=topic, error=str(err))]
        except (TypeError, ValueError, AttributeError) as err:   # a field of the wrong type deep inside
            _LOGGER.warning("%s: unexpected value (%s: %s)", topic, type(err).__name__, err)
            return [self.event("bad-message", now, topic=topic, error=f"unexpected value: {err}")]
        return []

    def _own_status(self, payload: bytes) -> list:
        """A will from an older connection overwrote our retained birth: publish it again."""
        try:
            doc = decode(self.t(T.STATUS), payload) if payload else {}
        except MessageError:
            doc = {}
        if docs.is_stale_will(doc, self.online, self.session):
            _LOGGER.info("stale will (session %s) over birth %s: re-announcing", doc.get("session"), self.session)
            return self.birth()[:1]
        return []

    # ---- desired state and installs ------------------------------------------------------------
    def reconcile(self, now: float) -> list:
        bundles, settings = self.desired.merged(self.id)
        change = self.desired.settings_change(settings)
        actions: list = [change] if change else []
        return actions + self.pipeline.offer(bundles, now) + self.report()

    def settings_finished(self, settings: dict, error: str | None) -> list:
        self.desired.settings_finished(settings, error)
        return self.report()

    def url_chunk(self, offer: Offer, index: int, now: float) -> list:
        """One chunk of the HTTP(S) fetch is kept: its progress."""
        return self.pipeline.url_chunk(offer, index, now)

    def url_fetched(self, offer: Offer, now: float, error: str | None = None) -> list:
        """The HTTP(S) fetch ended: install if every chunk is here, else fetch the rest over MQTT."""
        return self.pipeline.url_fetched(offer, now, error)

    def tick(self, now: float) -> list:
        return self.pipeline.tick(now, self.online)

    def install_finished(self, offer: Offer, now: float, state: InstallState, reason: str = "",
                         detail: str = "") -> list:
        """state: COMMITTED, ALREADY_INSTALLED or REJECTED (with the reason and detail)."""
        return self.pipeline.install_finished(offer, now, state, reason, detail)

    def rolled_back(self, kind: str, now: float) -> list:
        return self.pipeline.rolled_back(kind, now)

    # ---- staff alerts --------------------------------------------------------------------------
    def raise_alert(self, event: dict, now: float) -> list:
        """A staff alert from the kiosk (its `staff-alert` event): kept, and published retained when
        connected (else at the next connection); the reported state lists it until acknowledged."""
        actions = self.alerts.raise_alert(event, now, self.online)
        return actions + (self.report() if self.online else [])

    # ---- commands ------------------------------------------------------------------------------
    def _command(self, topic: str, payload: bytes, now: float, correlation: bytes | None,
                 response_topic: str | None) -> list:
        request, refusal = parse_command(topic, payload, now, correlation, response_topic)
        if refusal:
            return self.reply(request, refusal.code, refusal.message)
        if request.name == "status":
            return self.reply(request, 200, "ok", self.status_doc())
        if request.name == "reconcile":
            return self.reply(request, 200, "ok") + self.reconcile(now)
        return [RunCommand(request)]

    def reply(self, request: CommandRequest, code: int, message: str, data=None) -> list:
        return command_reply(self.id.device_id, request, code, message, data)

    # ---- telemetry -----------------------------------------------------------------------------
    def telemetry_due(self, now: float) -> bool:
        return self.telemetry_buffer.due(now)

    def telemetry(self, sample: dict, now: float) -> list:
        """At most one message per interval; kept (bounded, oldest dropped) while offline."""
        if not self.telemetry_buffer.due(now):
            return []
        record = {"ts": now, "device_id": self.id.device_id, "versions": self.installed.versions(), **sample}
        kept = self.telemetry_buffer.take(record, now, self.online)
        return [docs.telemetry(self.id, kept)] if kept is not None else []
