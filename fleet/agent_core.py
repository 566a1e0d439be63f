"""AgentCore: the device agent's decisions, without sockets, threads or clocks (sans-IO).

The driver (``agent.MqttAgent`` on a kiosk, ``simulator`` for a thousand of them) feeds it
connection changes, messages, ticks and finished installs, each with ``now``; it answers
with actions: ``Publish``, ``Subscribe``, ``Unsubscribe``, ``Install``, ``RunCommand``,
``ApplySettings``. Presence with a session counter (stale wills are recognised and answered
with a fresh birth), desired-state reconciliation, chunked bundle download with resume,
bounded telemetry, request/response commands.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from dataclasses import dataclass, field

from . import topics as T
from .bundle_verifier import BundleLimits
from .agent_actions import (ApplySettings, ChunkStore, CommandRequest, FetchUrl, Identity, Install,
                            InstalledState, Publish, RunCommand, Subscribe, Unsubscribe)
from .messages import Desired, MessageError, Offer, decode, encode, merge_desired

__all__ = ["AgentCore", "ApplySettings", "ChunkStore", "CommandRequest", "FetchUrl", "Identity", "Install",
           "InstalledState", "Publish", "RunCommand", "Subscribe", "Unsubscribe"]

_LOGGER = logging.getLogger(__name__)
WINDOW = 4                      # chunk topics subscribed at once (flow control per device)
STALL_S = 20.0                  # no chunk for this long: subscribe again (retained redelivery)
MAX_STALLS = 6
RUNTIME_COMMANDS = ("restart", "reload", "set-volume", "say", "collect-logs")
AGENT_COMMANDS = ("rollback", "status", "reconcile")


@dataclass
class _Download:
    offer: Offer
    have: set[int]
    requested: set[int] = field(default_factory=set)
    last_progress: float = 0.0
    stalls: int = 0
    bad: int = 0
    reported_at: float = -1e9
    via_url: bool = False

    def missing(self) -> list[int]:
        return [i for i in range(len(self.offer.chunks)) if i not in self.have]


class AgentCore:
    def __init__(self, identity: Identity, installed: InstalledState, chunks: ChunkStore,
                 limits: BundleLimits = BundleLimits(), telemetry_interval_s: float = 30.0,
                 telemetry_buffer: int = 256, http_fetch: bool = False):
        self.id = identity
        self.installed = installed
        self.chunks = chunks
        self.limits = limits
        self.telemetry_interval_s = telemetry_interval_s
        self.http_fetch = http_fetch          # the driver can fetch offers' `url` (Range requests)
        self.session = 0
        self.online = False
        self.desired: dict[str, Desired] = {}
        self.settings_applied: dict = {}
        self.settings_error: str | None = None
        self.installs: dict[str, dict] = {}         # kind -> what the admin sees in `reported`
        self.download: _Download | None = None
        self.installing: Offer | None = None
        self.queue: list[Offer] = []
        self.hwtest: dict | None = None
        self._telemetry: deque = deque(maxlen=telemetry_buffer)
        self.telemetry_dropped = 0
        self._last_telemetry = -1e9
        self._settings_tried: dict | None = None

    # ---- topics --------------------------------------------------------------------------------
    def t(self, leaf: str) -> str:
        return T.device(self.id.device_id, leaf)

    def will(self, session: int) -> Publish:
        return Publish(self.t(T.STATUS), encode({"online": False, "session": session,
                                                 "device_id": self.id.device_id}), 1, True)

    def subscriptions(self) -> tuple[str, ...]:
        subs = [self.t(T.DESIRED), self.t(T.CMD), self.t(T.STATUS), self.t(T.HWTEST), T.ANNOUNCE]
        for g in self.id.groups:
            subs += [T.group(g, T.DESIRED), T.group(g, T.CMD)]
        return tuple(subs)

    # ---- documents -----------------------------------------------------------------------------
    def status_doc(self, online: bool = True) -> dict:
        doc = {"online": online, "session": self.session, "device_id": self.id.device_id,
               "groups": list(self.id.groups), "site": self.id.site, "runtime": self.id.runtime_version,
               "versions": self.installed.versions()}
        if self.hwtest is not None:
            doc["hwtest"] = self.hwtest
        return doc

    def reported_doc(self) -> dict:
        return {"device_id": self.id.device_id, "session": self.session, "versions": self.installed.versions(),
                "installs": self.installs, "settings": self.settings_applied,
                "settings_error": self.settings_error,
                "desired_revs": {k: d.rev for k, d in sorted(self.desired.items())}}

    def _birth(self) -> list:
        return [Publish(self.t(T.STATUS), encode(self.status_doc()), 1, True),
                Publish(self.t(T.REPORTED), encode(self.reported_doc()), 1, True)]

    def _report(self) -> list:
        return [Publish(self.t(T.REPORTED), encode(self.reported_doc()), 1, True)]

    def _event(self, event_name: str, now: float, **fields) -> Publish:
        return Publish(self.t(T.EVENTS), encode({"event": event_name, "ts": now, "device_id": self.id.device_id,
                                                 **fields}), 1, False)

    # ---- connection ----------------------------------------------------------------------------
    def connected(self, session: int, now: float) -> list:
        self.session, self.online = session, True
        actions: list = [Subscribe(self.subscriptions()), *self._birth()]
        while self._telemetry:
            actions.append(Publish(self.t(T.TELEMETRY), encode(self._telemetry.popleft()), 0, False))
        if self.download:
            self.download.requested.clear()
            actions += self._request_chunks(now)
        return actions

    def disconnected(self) -> None:
        self.online = False

    # ---- messages ------------------------------------------------------------------------------
    def message(self, topic: str, payload: bytes, now: float, correlation: bytes | None = None,
                response_topic: str | None = None) -> list:
        try:
            if topic.startswith(f"{T.ROOT}/bundles/"):
                return self._chunk(topic, payload, now)
            if topic == T.ANNOUNCE:
                return self._birth()
            if topic == self.t(T.STATUS):
                return self._own_status(payload)
            if topic == self.t(T.HWTEST):
                self.hwtest = _hwtest_summary(decode(topic, payload)) if payload else None
                return self._birth()[:1]          # status carries it: admins see it without wildcards
            if topic.endswith(f"/{T.DESIRED}"):
                self.desired[topic] = Desired.parse(topic, payload)
                return self.reconcile(now)
            if topic.endswith(f"/{T.CMD}"):
                return self._command(topic, payload, now, correlation, response_topic)
        except MessageError as err:
            _LOGGER.warning("%s", err)
            return [self._event("bad-message", now, topic=topic, error=str(err))]
        except (TypeError, ValueError, AttributeError) as err:   # a field of the wrong type deep inside
            _LOGGER.warning("%s: unexpected value (%s: %s)", topic, type(err).__name__, err)
            return [self._event("bad-message", now, topic=topic, error=f"unexpected value: {err}")]
        return []

    def _own_status(self, payload: bytes) -> list:
        """A will from an older connection overwrote our retained birth: publish it again."""
        try:
            doc = decode(self.t(T.STATUS), payload) if payload else {}
        except MessageError:
            doc = {}
        if self.online and not doc.get("online") and int(doc.get("session", -1)) < self.session:
            _LOGGER.info("stale will (session %s) over birth %s: re-announcing", doc.get("session"), self.session)
            return self._birth()[:1]
        return []

    # ---- desired state -------------------------------------------------------------------------
    def _layers(self) -> list[Desired]:
        order = [T.group(g, T.DESIRED) for g in self.id.groups] + [self.t(T.DESIRED)]
        return [self.desired[t] for t in order if t in self.desired]

    def reconcile(self, now: float) -> list:
        bundles, settings = merge_desired(self._layers())
        actions: list = []
        if settings != self.settings_applied and settings != self._settings_tried:
            self._settings_tried = settings
            actions.append(ApplySettings(dict(settings)))
        versions = self.installed.versions()
        for kind, offer in sorted(bundles.items()):
            busy = {o.bundle_id for o in self.queue} | {
                o.bundle_id for o in (self.installing, self.download.offer if self.download else None) if o}
            if offer.bundle_id in busy:
                continue
            if self.installed.was_installed(offer.bundle_id):
                if versions.get(kind) == offer.version:
                    self.installs[kind] = {"state": "committed", "bundle_id": offer.bundle_id,
                                           "version": offer.version}
                continue
            refused = self.installed.refusal(offer.bundle_id)
            if refused:
                state = "rolled-back" if refused.get("reason") == "rolled-back" else "rejected"
                self.installs[kind] = {"state": state, "bundle_id": offer.bundle_id,
                                       "version": offer.version, **refused}
                continue
            if offer.size > self.limits.max_bundle_bytes:
                self.installs[kind] = {"state": "rejected", "bundle_id": offer.bundle_id, "version": offer.version,
                                       "reason": "too-large", "detail": f"{offer.size} bytes offered; at most "
                                                                        f"{self.limits.max_bundle_bytes}"}
                actions.append(self._event("rejected", now, kind=kind, **self.installs[kind]))
                continue
            self.queue.append(offer)
            self.installs[kind] = {"state": "queued", "bundle_id": offer.bundle_id, "version": offer.version}
        actions += self._next(now)
        return actions + self._report()

    def _next(self, now: float) -> list:
        if self.download or self.installing or not self.queue:
            return []
        offer = self.queue.pop(0)
        have = self.chunks.have(offer.bundle_id, len(offer.chunks))
        self.download = _Download(offer, have, last_progress=now)
        self.installs[offer.kind] = {"state": "downloading", "bundle_id": offer.bundle_id,
                                     "version": offer.version, "progress": len(have) / len(offer.chunks)}
        missing = self.download.missing()
        if offer.url and self.http_fetch and missing:
            self.download.via_url = True
            return [FetchUrl(offer, tuple(missing))]
        return self._request_chunks(now)

    def url_fetched(self, offer: Offer, now: float, error: str | None = None) -> list:
        """The HTTP(S) fetch ended: install if every chunk is here, else fetch the rest over MQTT."""
        d = self.download
        if d is None or d.offer.bundle_id != offer.bundle_id:
            return []
        d.via_url = False
        d.have = self.chunks.have(offer.bundle_id, len(offer.chunks))
        d.last_progress = now
        actions = []
        if error:
            _LOGGER.warning("%s: %s; fetching the rest over MQTT", offer.url, error)
            actions.append(self._event("url-failed", now, bundle_id=offer.bundle_id, url=offer.url, error=error))
        return actions + self._request_chunks(now)

    # ---- chunks --------------------------------------------------------------------------------
    def _request_chunks(self, now: float) -> list:
        d = self.download
        if d is None:
            return []
        missing = d.missing()
        if not missing:
            return self._downloaded(now)
        wanted = [i for i in missing if i not in d.requested][:max(0, WINDOW - len(d.requested))]
        d.requested.update(wanted)
        return [Subscribe(tuple(T.chunk(d.offer.bundle_id, i) for i in wanted))] if wanted else []

    def _chunk(self, topic: str, payload: bytes, now: float) -> list:
        d = self.download
        parts = topic.split("/")
        if d is None or parts[2] != d.offer.bundle_id or not parts[3].isdigit():
            return [Unsubscribe((topic,))]
        index = int(parts[3])
        if index >= len(d.offer.chunks) or index in d.have:
            return [Unsubscribe((topic,))]
        if hashlib.sha256(payload).hexdigest() != d.offer.chunks[index]:
            d.bad += 1
            d.requested.discard(index)
            if d.bad >= 3:
                return [Unsubscribe((topic,)), *self._download_failed(f"chunk {index} does not match its hash", now)]
            return [Unsubscribe((topic,))]
        self.chunks.put(d.offer.bundle_id, index, payload)
        d.have.add(index)
        d.requested.discard(index)
        d.last_progress, d.stalls = now, 0
        actions: list = [Unsubscribe((topic,))]
        progress = len(d.have) / len(d.offer.chunks)
        self.installs[d.offer.kind]["progress"] = round(progress, 3)
        if now - d.reported_at >= 5.0:
            d.reported_at = now
            actions += self._report()
        return actions + self._request_chunks(now)

    def _downloaded(self, now: float) -> list:
        offer = self.download.offer
        self.download = None
        self.installing = offer
        self.installs[offer.kind] = {"state": "installing", "bundle_id": offer.bundle_id, "version": offer.version}
        return [*self._report(), Install(offer)]      # report first: a simulated install finishes at once

    def _download_failed(self, detail: str, now: float) -> list:
        offer = self.download.offer
        self.download = None
        self.installs[offer.kind] = {"state": "failed", "bundle_id": offer.bundle_id, "version": offer.version,
                                     "reason": "download-failed", "detail": detail}
        return [self._event("download-failed", now, kind=offer.kind, bundle_id=offer.bundle_id, detail=detail),
                *self._report(), *self._next(now)]

    def tick(self, now: float) -> list:
        d = self.download
        if not (d and self.online and d.requested and not d.via_url and now - d.last_progress > STALL_S):
            return []
        d.stalls += 1
        d.last_progress = now
        if d.stalls > MAX_STALLS:
            return self._download_failed(f"chunks {sorted(d.requested)[:5]} never arrived", now)
        again = tuple(T.chunk(d.offer.bundle_id, i) for i in sorted(d.requested))
        return [Unsubscribe(again), Subscribe(again)]

    # ---- installs ------------------------------------------------------------------------------
    def install_finished(self, offer: Offer, now: float, state: str, reason: str = "", detail: str = "") -> list:
        """state: committed | already-installed | rejected."""
        self.installing = None
        if state in ("committed", "already-installed"):
            self.chunks.discard(offer.bundle_id)
            self.installs[offer.kind] = {"state": "committed", "bundle_id": offer.bundle_id, "version": offer.version}
            event = self._event("installed", now, kind=offer.kind, version=offer.version, bundle_id=offer.bundle_id)
        else:
            if reason != "download-failed":
                self.chunks.discard(offer.bundle_id)
            self.installs[offer.kind] = {"state": "rejected", "bundle_id": offer.bundle_id, "version": offer.version,
                                         "reason": reason, "detail": detail}
            event = self._event("rejected", now, kind=offer.kind, version=offer.version, bundle_id=offer.bundle_id,
                                reason=reason, detail=detail)
        return [event, *self._birth(), *self._next(now)]

    def rolled_back(self, kind: str, now: float) -> list:
        rec = self.installs.get(kind, {})
        self.installs[kind] = {**rec, "state": "rolled-back", "reason": "rolled-back",
                               "detail": "rolled back by an admin"}
        return [self._event("rolled-back", now, kind=kind, versions=self.installed.versions()), *self._birth()]

    def settings_finished(self, settings: dict, error: str | None) -> list:
        if error is None:
            self.settings_applied, self.settings_error = settings, None
        else:
            self.settings_error = error
        return self._report()

    # ---- commands ------------------------------------------------------------------------------
    def _command(self, topic: str, payload: bytes, now: float, correlation: bytes | None,
                 response_topic: str | None) -> list:
        raw = decode(topic, payload)
        reply_to = response_topic or raw.get("reply_to")
        if correlation is None and raw.get("correlation") is not None:
            correlation = str(raw["correlation"]).encode()
        if not isinstance(reply_to, str) or not reply_to.startswith(f"{T.ROOT}/replies/"):
            reply_to = None            # answer only where the ACL lets devices answer
        args = raw.get("args") or {}
        request = CommandRequest(str(raw.get("name", "")), args if isinstance(args, dict) else {}, reply_to,
                                 correlation)
        if not isinstance(args, dict):
            return self.reply(request, 400, f"{topic}: args: expected an object")
        expires_at = raw.get("expires_at")
        if expires_at is not None and not isinstance(expires_at, (int, float)):
            return self.reply(request, 400, f"{topic}: expires_at: expected a UNIX time in seconds")
        if expires_at is not None and now > float(expires_at):
            return self.reply(request, 408, "expired before it reached the device")
        if request.name in AGENT_COMMANDS + RUNTIME_COMMANDS:
            if request.name == "status":
                return self.reply(request, 200, "ok", self.status_doc())
            if request.name == "reconcile":
                return self.reply(request, 200, "ok") + self.reconcile(now)
            return [RunCommand(request)]
        return self.reply(request, 404, f"unknown command {request.name!r}; known: "
                                        f"{', '.join(AGENT_COMMANDS + RUNTIME_COMMANDS)}")

    def reply(self, request: CommandRequest, code: int, message: str, data=None) -> list:
        if not request.reply_topic:
            return []
        body = {"device_id": self.id.device_id, "command": request.name, "code": code, "message": message}
        if request.correlation is not None:
            body["correlation"] = request.correlation.decode("utf-8", "replace")
        if data is not None:
            body["data"] = data
        return [Publish(T.reply(request.reply_topic, self.id.device_id), encode(body), 1, False,
                        request.correlation)]

    # ---- telemetry -----------------------------------------------------------------------------
    def telemetry_due(self, now: float) -> bool:
        return now - self._last_telemetry >= self.telemetry_interval_s

    def telemetry(self, sample: dict, now: float) -> list:
        """At most one message per interval; kept (bounded, oldest dropped) while offline."""
        if now - self._last_telemetry < self.telemetry_interval_s:
            return []
        self._last_telemetry = now
        record = {"ts": now, "device_id": self.id.device_id, "versions": self.installed.versions(), **sample}
        if self.online:
            return [Publish(self.t(T.TELEMETRY), encode(record), 0, False)]
        if len(self._telemetry) == self._telemetry.maxlen:
            self.telemetry_dropped += 1
        self._telemetry.append({**record, "buffered": True})
        return []


def _hwtest_summary(submission: dict) -> dict:
    """What `fleet status` shows of the board's last hardware test."""
    checks = submission.get("checks") or []
    counts = {k: sum(1 for c in checks if c.get("outcome") == k) for k in ("passed", "failed", "skipped")}
    return {"result": "FAIL" if counts["failed"] else "PASS", **counts, "board": submission.get("board"),
            "time": submission.get("time"), "simulated": bool(submission.get("simulated"))}
