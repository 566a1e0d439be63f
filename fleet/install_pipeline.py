"""InstallPipeline: offered bundles from queue to download to install, one at a time.

Download over MQTT (chunk topics, resumable) or, when the driver can, over HTTP(S) first;
then an ``Install`` action for the driver, whose answer comes back in ``install_finished``.
Every state change goes through ``InstallRecords``. Sans-IO: the chunk store and the
installer's state are passed in; time is an argument; actions are returned.
"""

from __future__ import annotations

import logging
import random
from typing import Protocol

from . import topics as T
from .agent_actions import (
    ChunkStore,
    FetchUrl,
    Install,
    InstalledState,
    Publish,
    Subscribe,
    Unsubscribe,
)
from .agent_desired import judge_offer
from .bundle_verifier import BundleLimits
from .chunk_download import ChunkDownload, ChunkVerdict, RetryTimings
from .install_records import InstallRecords
from .install_state import InstallState
from .messages import Offer

_LOGGER = logging.getLogger(__name__)


class DeviceReports(Protocol):
    """What the pipeline publishes through the agent: events and the device's documents."""
    def event(self, event_name: str, now: float, **fields) -> Publish: ...
    def report(self) -> list: ...
    def birth(self) -> list: ...


class InstallPipeline:
    def __init__(self, installed: InstalledState, chunks: ChunkStore, limits: BundleLimits, http_fetch: bool,
                 reports: DeviceReports, seed: str = "", retry: RetryTimings = RetryTimings()):
        self.installed = installed
        self.chunks = chunks
        self.limits = limits
        self.http_fetch = http_fetch          # the driver can fetch offers' `url` (Range requests)
        self.reports = reports
        self.records = InstallRecords()
        self.queue: list[Offer] = []
        self.download: ChunkDownload | None = None
        self.installing: Offer | None = None
        self._rng = random.Random(seed)       # jitter of re-requests: devices do not ask in lockstep
        self.retry = retry
        self.chunk_retries = 0                # chunks asked for again, over every download (counted)

    # ---- offers --------------------------------------------------------------------------------
    def _busy(self) -> set[str]:
        in_hand = (self.installing, self.download.offer if self.download else None)
        return {o.bundle_id for o in self.queue} | {o.bundle_id for o in in_hand if o}

    def offer(self, bundles: dict[str, Offer], now: float) -> list:
        """The desired bundles by kind: record, refuse or queue each; then start the next download."""
        actions: list = []
        versions = self.installed.versions()
        for kind, offer in sorted(bundles.items()):
            if offer.bundle_id in self._busy():
                continue
            verdict = judge_offer(kind, offer, self.installed, versions, self.limits.max_bundle_bytes)
            if verdict.state is None:
                continue
            if verdict.state is InstallState.QUEUED:
                self.queue.append(offer)
            record = self.records.replace(kind, {"state": verdict.state, "bundle_id": offer.bundle_id,
                                                 "version": offer.version, **verdict.details})
            if verdict.announce:
                actions.append(self.reports.event("rejected", now, kind=kind, **record))
        return actions + self._next(now)

    def _next(self, now: float) -> list:
        if self.download or self.installing or not self.queue:
            return []
        offer = self.queue.pop(0)
        d = self.download = ChunkDownload(offer, self.chunks.have(offer.bundle_id, len(offer.chunks)),
                                          last_progress=now, timings=self.retry)
        self.records.move(offer.kind, InstallState.DOWNLOADING, offer.bundle_id, version=offer.version,
                          progress=d.progress())
        missing = d.missing()
        if offer.url and self.http_fetch and missing:
            d.via_url = True
            return [FetchUrl(offer, tuple(missing))]
        return self._request_chunks(now)

    # ---- download ------------------------------------------------------------------------------
    def resume(self, now: float) -> list:
        """After a reconnect: the broker forgot our chunk subscriptions; ask again, with the
        progress deadline starting again (time offline is not the download's fault)."""
        if not self.download:
            return []
        self.download.forget_requests(now)
        return self._request_chunks(now)

    def url_chunk(self, offer: Offer, index: int, now: float) -> list:
        """One chunk of a running HTTP(S) fetch is kept: progress, reported as the chunks' is (at most
        every REPORT_EVERY_S), so the admin's progress deadline sees a slow download move."""
        d = self.download
        if d is None or d.offer.bundle_id != offer.bundle_id:
            return []
        report_due = d.stored(index, now)
        self.records.by_kind[d.offer.kind]["progress"] = round(d.progress(), 3)
        return self.reports.report() if report_due else []

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
            actions.append(self.reports.event("url-failed", now, bundle_id=offer.bundle_id, url=offer.url,
                                              error=error))
        return actions + self._request_chunks(now)

    def _request_chunks(self, now: float) -> list:
        d = self.download
        if d is None:
            return []
        if not d.missing():
            return self._downloaded(now)
        wanted = d.window(now)
        return [Subscribe(tuple(T.chunk(d.offer.bundle_id, i) for i in wanted))] if wanted else []

    def chunk(self, topic: str, payload: bytes, now: float) -> list:
        """A chunk arrived on ``bundles/<id>/<index>``: check it, keep it, ask for more."""
        d = self.download
        parts = topic.split("/")
        if d is None or parts[2] != d.offer.bundle_id or not parts[3].isdigit():
            return [Unsubscribe((topic,))]
        index = int(parts[3])
        verdict = d.check(index, payload)
        if verdict is ChunkVerdict.TOO_MANY_BAD:
            return [Unsubscribe((topic,)), *self._download_failed(f"chunk {index} does not match its hash", now)]
        if verdict is not ChunkVerdict.GOOD:
            return [Unsubscribe((topic,))]
        self.chunks.put(d.offer.bundle_id, index, payload)
        report_due = d.stored(index, now)
        actions: list = [Unsubscribe((topic,))]
        self.records.by_kind[d.offer.kind]["progress"] = round(d.progress(), 3)
        if report_due:
            actions += self.reports.report()
        return actions + self._request_chunks(now)

    def tick(self, now: float, online: bool) -> list:
        """Chunks that did not come are asked for again (back-off per chunk); no chunk at all for
        GIVE_UP_S while connected ends the download as failed, with the reason."""
        d = self.download
        if d is None:
            return []
        if d.given_up(now, online):
            return self._download_failed(f"no chunk for {d.timings.give_up_s:.0f} s while connected ({d.retries} "
                                         f"re-requests; chunks {sorted(d.requested)[:5]} never arrived)", now)
        late = d.overdue(now, online, self._rng.random())
        if not late:
            return []
        self.chunk_retries += len(late)
        self.records.by_kind[d.offer.kind]["retries"] = d.retries
        again = tuple(T.chunk(d.offer.bundle_id, i) for i in late)
        return [Unsubscribe(again), Subscribe(again)]

    def _downloaded(self, now: float) -> list:
        offer = self.download.offer
        self.download = None
        self.installing = offer
        self.records.move(offer.kind, InstallState.INSTALLING, offer.bundle_id, version=offer.version)
        return [*self.reports.report(), Install(offer)]      # report first: a simulated install finishes at once

    def _download_failed(self, detail: str, now: float) -> list:
        offer = self.download.offer
        self.download = None
        self.records.move(offer.kind, InstallState.FAILED, offer.bundle_id, version=offer.version,
                          reason="download-failed", detail=detail)
        return [self.reports.event("download-failed", now, kind=offer.kind, bundle_id=offer.bundle_id,
                                   detail=detail), *self.reports.report(), *self._next(now)]

    # ---- install -------------------------------------------------------------------------------
    def install_finished(self, offer: Offer, now: float, outcome: InstallState, reason: str = "",
                         detail: str = "") -> list:
        """The driver's answer to ``Install``: outcome is COMMITTED, ALREADY_INSTALLED or REJECTED."""
        self.installing = None
        if outcome in (InstallState.COMMITTED, InstallState.ALREADY_INSTALLED):
            self.chunks.discard(offer.bundle_id)
            self.records.move(offer.kind, InstallState.COMMITTED, offer.bundle_id, version=offer.version)
            event = self.reports.event("installed", now, kind=offer.kind, version=offer.version,
                                       bundle_id=offer.bundle_id)
        else:
            if reason != "download-failed":
                self.chunks.discard(offer.bundle_id)
            self.records.move(offer.kind, InstallState.REJECTED, offer.bundle_id, version=offer.version,
                              reason=reason, detail=detail)
            event = self.reports.event("rejected", now, kind=offer.kind, version=offer.version,
                                       bundle_id=offer.bundle_id, reason=reason, detail=detail)
        return [event, *self.reports.birth(), *self._next(now)]

    def rolled_back(self, kind: str, now: float) -> list:
        """An admin's rollback of `kind` succeeded: its record says so."""
        record = self.records.by_kind.get(kind, {})
        self.records.replace(kind, {**record, "state": InstallState.ROLLED_BACK, "reason": "rolled-back",
                                    "detail": "rolled back by an admin"})
        return [self.reports.event("rolled-back", now, kind=kind, versions=self.installed.versions()),
                *self.reports.birth()]
