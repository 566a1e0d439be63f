"""RolloutManager: the console's rollouts, each run on its own thread with fleet.rollout_run (the
code `fleet rollout` runs), its state (rollout_state) and progress kept in the database and sent to
the rollouts feed (live page). Owned by the app; needs the FleetService's admin connection.
Several consoles may share the database: each rollout records the console running it (`owner`) and a
heartbeat that console stamps while it runs (`console-rollout-heartbeat`, only while it runs one);
only a rollout whose owner went silent is marked failed by another console (rollout_owner.py)."""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from pathlib import Path

from fleet.errors import FleetError
from fleet.install_state import InstallState
from fleet.push_verdict import Deadlines
from fleet.rollout_run import RolloutRequest, rollback, run_rollout

from ..audit import utcnow
from ..db.database import Database
from ..db.models import AuditEntry, Rollout
from ..live.feed import ChangeFeed
from .rollout_owner import HEARTBEAT_S, orphaned_reason, owner_id
from .rollout_state import UNDER_WAY, RolloutState, advance

log = logging.getLogger(__name__)


def rollout_row(r: Rollout) -> dict:
    return {"id": r.id, "bundle_id": r.bundle_id, "bundle_file": Path(r.bundle_file).name,
            "target": json.loads(r.target), "waves": r.waves, "abort_at": r.abort_at, "state": r.state,
            "progress": json.loads(r.progress or "{}"), "created_by": r.created_by,
            "created_at": r.created_at.strftime("%Y-%m-%d %H:%M:%S"), "updated_at": r.updated_at.strftime("%H:%M:%S"),
            "owner": r.owner or ""}


class _Recorder:
    """RolloutEvents -> the rollout's row (progress JSON) and the feed."""

    def __init__(self, manager: RolloutManager, rollout_id: int):
        self.m, self.id = manager, rollout_id
        self.progress: dict = {"waves": [], "states": {}, "wave": 0}
        self._last = 0.0

    def planned(self, plan):
        self.progress["waves"] = [{"devices": w, "committed": 0, "failed": 0, "done": False} for w in plan]
        self.m._save(self.id, progress=self.progress)

    def wave_progress(self, n, states):
        self.progress["wave"] = n
        self.progress["states"].update(states)
        if time.monotonic() - self._last > 0.5:           # the page need not see every half-second tick
            self._last = time.monotonic()
            self.m._save(self.id, progress=self.progress)

    def wave_done(self, n, wave_results, verdict):
        states = {d: str(r.get("state")) for d, r in wave_results.items()}
        self.progress["states"].update(states)
        wave = self.progress["waves"][n - 1]
        wave.update(done=True, committed=sum(1 for s in states.values() if s == InstallState.COMMITTED),
                    failed=sum(1 for s in states.values() if s != InstallState.COMMITTED),
                    reasons={d: f"{r.get('state')} {r.get('reason', '')} {r.get('verdict', '')}".strip()
                             for d, r in wave_results.items() if r.get("state") != InstallState.COMMITTED},
                    failure_rate=round(verdict.rate, 4))
        self.m._save(self.id, progress=self.progress)

    def rolled_back(self, devices, replies):
        self.progress["rolled_back"] = {d: [f"{r.get('code')} {r.get('message')}" for r in rs]
                                        for d, rs in replies.items()}
        self.m._save(self.id, progress=self.progress)


class RolloutManager:
    def __init__(self, db: Database, fleet, wave_timeout: float = 600.0, deadlines: Deadlines = Deadlines()):
        self.db, self.fleet = db, fleet
        self.wave_timeout, self.deadlines = wave_timeout, deadlines
        self.feed = ChangeFeed()
        self.owner = owner_id(socket.gethostname(), os.getpid(), secrets.token_hex(4))
        self._stop: dict[int, threading.Event] = {}
        self._threads: dict[int, threading.Thread] = {}
        self._running: set[int] = set()               # rollouts (and roll-backs) this console runs now
        self._beat_lock = threading.Lock()
        self._beater: threading.Thread | None = None
        self._closing = threading.Event()
        log.info("console rollouts: this console is %s", self.owner)
        self.sweep(utcnow())                           # rollouts left by a console that stopped: failed

    # ---- ownership: heartbeats, and rollouts left by a console that stopped ------------------------
    def sweep(self, now) -> list[int]:
        """Mark failed, with the reason, every rollout under way whose owner's heartbeat is stale (another
        console that stopped, or this one before a restart); a live console's rollouts are left alone."""
        failed = []
        with self.db.sessions() as s, s.begin():
            for r in s.query(Rollout).filter(Rollout.state.in_([st.value for st in UNDER_WAY])):
                reason = orphaned_reason(r.state, r.owner, r.heartbeat_at, now, self.owner)
                if reason is None:
                    continue
                r.state, r.updated_at = advance(r.state, RolloutState.FAILED).value, now
                r.progress = json.dumps({**json.loads(r.progress or "{}"), "error": reason})
                s.add(AuditEntry(at=now, user_name="(console)", action="rollout.failed", target=f"rollout {r.id}",
                                 detail=json.dumps({"error": reason, "seen_by": self.owner})))
                failed.append(r.id)
        for rollout_id in failed:
            log.warning("rollout %d marked failed: its console stopped", rollout_id)
        self._publish_all()
        return failed

    def beat(self, now) -> None:
        """Stamp the heartbeat of every rollout this console runs."""
        with self._beat_lock:
            ids = sorted(self._running)
        if ids:
            with self.db.sessions() as s, s.begin():
                s.query(Rollout).filter(Rollout.id.in_(ids), Rollout.owner == self.owner).update(
                    {Rollout.heartbeat_at: now}, synchronize_session=False)

    def _running_here(self, rollout_id: int) -> None:
        with self._beat_lock:
            self._running.add(rollout_id)
            if self._beater is None:
                self._beater = threading.Thread(target=self._beat_loop, name="console-rollout-heartbeat",
                                                daemon=True)
                self._beater.start()

    def _done_here(self, rollout_id: int) -> None:
        with self._beat_lock:
            self._running.discard(rollout_id)

    def _beat_loop(self) -> None:
        """Runs only while this console runs a rollout: beats, and fails other consoles' orphans."""
        while not self._closing.wait(HEARTBEAT_S):
            with self._beat_lock:
                if not self._running:
                    self._beater = None
                    return
            try:
                self.beat(utcnow())
                self.sweep(utcnow())
            except Exception:          # the database away for a moment: the next beat tries again
                log.exception("console rollouts: heartbeat failed")
        with self._beat_lock:
            self._beater = None

    def close(self) -> None:
        """Stop the heartbeat (the app is closing)."""
        self._closing.set()

    # ---- state ---------------------------------------------------------------------------------
    def _publish_all(self) -> None:
        with self.db.sessions() as s:
            rows = {str(r.id): rollout_row(r) for r in s.query(Rollout).order_by(Rollout.id.desc()).limit(200)}
        self.feed.publish(rows)

    def _save(self, rollout_id: int, state: RolloutState | None = None, progress: dict | None = None,
              audit: tuple[str, str] | None = None, claim: bool = False) -> None:
        """`claim`: this console runs the rollout from now on (a roll-back may be asked of any console)."""
        with self.db.sessions() as s, s.begin():
            r = s.get(Rollout, rollout_id)
            if state is not None:
                r.state = advance(r.state, state).value
            if claim:
                r.owner, r.heartbeat_at = self.owner, utcnow()
            if progress is not None:
                r.progress = json.dumps(progress, ensure_ascii=False, default=str)
            r.updated_at = utcnow()
            if audit:
                s.add(AuditEntry(at=utcnow(), user_name=audit[0], action=audit[1], target=f"rollout {rollout_id}",
                                 detail=json.dumps({"state": r.state})))
        self._publish_all()

    def for_device(self, device_id: str, limit: int = 50) -> list[dict]:
        """The rollouts whose targets named this device, newest first."""
        with self.db.sessions() as s:
            rows = s.query(Rollout).filter(Rollout.target.contains(json.dumps(device_id)))
            return [rollout_row(r) for r in rows.order_by(Rollout.id.desc()).limit(limit)]

    def get(self, rollout_id: int) -> dict | None:
        with self.db.sessions() as s:
            r = s.get(Rollout, rollout_id)
            return rollout_row(r) if r else None

    # ---- actions (the views audit who asked) -----------------------------------------------------
    def start(self, rollout_id: int, members: list[str], waves: list[float], abort_at: float,
              rollback_on_abort: bool, group: str | None, wave_timeout: float | None = None) -> None:
        stop = self._stop[rollout_id] = threading.Event()
        self._running_here(rollout_id)
        t = threading.Thread(target=self._run, name=f"console-rollout-{rollout_id}", daemon=True,
                             args=(rollout_id, members, waves, abort_at, rollback_on_abort, group,
                                   wave_timeout or self.wave_timeout, stop))
        self._threads[rollout_id] = t
        t.start()

    def _run(self, rollout_id, members, waves, abort_at, rollback_on_abort, group, wave_timeout, stop) -> None:
        try:
            self._run_waves(rollout_id, members, waves, abort_at, rollback_on_abort, group, wave_timeout, stop)
        finally:
            self._done_here(rollout_id)

    def _run_waves(self, rollout_id, members, waves, abort_at, rollback_on_abort, group, wave_timeout, stop):
        events = _Recorder(self, rollout_id)
        row = self.get(rollout_id)
        try:
            admin = self.fleet.admin()
            offer = admin.publish_bundle(Path(self._bundle_file(rollout_id)))
            if stop.is_set():
                self._save(rollout_id, RolloutState.STOPPED)
                return
            self._save(rollout_id, RolloutState.RUNNING, {**events.progress, "kind": offer.kind,
                                                          "version": offer.version})
            events.progress.update(kind=offer.kind, version=offer.version)
            req = RolloutRequest(offer, members, waves, abort_at, wave_timeout, self.deadlines,
                                 rollback_on_abort, group)
            out = run_rollout(admin, req, events, stop.is_set)
            events.progress.update(outcome=out.state, results=out.results)
            state = {"complete": RolloutState.COMPLETE, "aborted": RolloutState.ABORTED,
                     "stopped": RolloutState.STOPPED}[out.state]
            self._save(rollout_id, state, events.progress, ("(console)", f"rollout.{state.value}"))
        except (FleetError, OSError) as err:
            log.warning("rollout %d (%s): %s", rollout_id, row and row["bundle_file"], err)
            events.progress["error"] = str(err)
            self._save(rollout_id, RolloutState.FAILED, events.progress, ("(console)", "rollout.failed"))

    def _bundle_file(self, rollout_id: int) -> str:
        with self.db.sessions() as s:
            return s.get(Rollout, rollout_id).bundle_file

    def abort(self, rollout_id: int) -> None:
        """Stop a rollout under way: the wave being watched is withdrawn from kiosks that did not commit."""
        stop = self._stop.get(rollout_id)
        if stop is None:
            row = self.get(rollout_id) or {}
            raise FleetError(f"rollout {rollout_id} is run by another console ({row.get('owner') or 'unknown'}), "
                             "not this one: abort it there")
        stop.set()

    def roll_back(self, rollout_id: int, user: str) -> None:
        row = self.get(rollout_id)
        kind = row["progress"].get("kind")
        seen = {**row["progress"].get("states", {}), **row["progress"].get("results", {})}
        committed = sorted(d for d, s in seen.items() if s == InstallState.COMMITTED)
        if not kind:
            raise FleetError(f"rollout {rollout_id}: nothing was offered, nothing to roll back")
        self._save(rollout_id, RolloutState.ROLLING_BACK, claim=True)
        self._running_here(rollout_id)

        def run():
            progress = dict(row["progress"])
            try:
                events = _Recorder(self, rollout_id)
                events.progress = progress
                rollback(self.fleet.admin(), kind, committed, events)
                self._save(rollout_id, RolloutState.ROLLED_BACK, events.progress, (user, "rollout.rolled-back"))
            except (FleetError, OSError) as err:
                progress["error"] = f"rollback: {err}"
                self._save(rollout_id, RolloutState.FAILED, progress, (user, "rollout.rollback-failed"))
            finally:
                self._done_here(rollout_id)
        threading.Thread(target=run, name=f"console-rollback-{rollout_id}", daemon=True).start()

    def wait(self, rollout_id: int, timeout: float) -> None:
        t = self._threads.get(rollout_id)
        if t is not None:
            t.join(timeout)
