"""RolloutManager: the console's rollouts, each run on its own thread with fleet.rollout_run (the
code `fleet rollout` runs), its state (rollout_state) and progress kept in the database and sent to
the rollouts feed (live page). Owned by the app; needs the FleetService's admin connection."""

from __future__ import annotations

import json
import logging
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
from .rollout_state import RolloutState, advance

log = logging.getLogger(__name__)


def rollout_row(r: Rollout) -> dict:
    return {"id": r.id, "bundle_id": r.bundle_id, "bundle_file": Path(r.bundle_file).name,
            "target": json.loads(r.target), "waves": r.waves, "abort_at": r.abort_at, "state": r.state,
            "progress": json.loads(r.progress or "{}"), "created_by": r.created_by,
            "created_at": r.created_at.strftime("%Y-%m-%d %H:%M:%S"), "updated_at": r.updated_at.strftime("%H:%M:%S")}


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
        self._stop: dict[int, threading.Event] = {}
        self._threads: dict[int, threading.Thread] = {}
        with db.sessions() as s, s.begin():          # a console restart ends what was under way
            for r in s.query(Rollout).filter(Rollout.state.in_([RolloutState.PUBLISHING.value,
                                                                RolloutState.RUNNING.value,
                                                                RolloutState.ROLLING_BACK.value])):
                r.state, r.updated_at = RolloutState.FAILED.value, utcnow()
                r.progress = json.dumps({**json.loads(r.progress or "{}"),
                                         "error": "the console stopped while this rollout was under way"})
        self._publish_all()

    # ---- state ---------------------------------------------------------------------------------
    def _publish_all(self) -> None:
        with self.db.sessions() as s:
            rows = {str(r.id): rollout_row(r) for r in s.query(Rollout).order_by(Rollout.id.desc()).limit(200)}
        self.feed.publish(rows)

    def _save(self, rollout_id: int, state: RolloutState | None = None, progress: dict | None = None,
              audit: tuple[str, str] | None = None) -> None:
        with self.db.sessions() as s, s.begin():
            r = s.get(Rollout, rollout_id)
            if state is not None:
                r.state = advance(r.state, state).value
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
        t = threading.Thread(target=self._run, name=f"console-rollout-{rollout_id}", daemon=True,
                             args=(rollout_id, members, waves, abort_at, rollback_on_abort, group,
                                   wave_timeout or self.wave_timeout, stop))
        self._threads[rollout_id] = t
        t.start()

    def _run(self, rollout_id, members, waves, abort_at, rollback_on_abort, group, wave_timeout, stop) -> None:
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
            raise FleetError(f"rollout {rollout_id} is not running in this console")
        stop.set()

    def roll_back(self, rollout_id: int, user: str) -> None:
        row = self.get(rollout_id)
        kind = row["progress"].get("kind")
        seen = {**row["progress"].get("states", {}), **row["progress"].get("results", {})}
        committed = sorted(d for d, s in seen.items() if s == InstallState.COMMITTED)
        if not kind:
            raise FleetError(f"rollout {rollout_id}: nothing was offered, nothing to roll back")
        self._save(rollout_id, RolloutState.ROLLING_BACK)

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
        threading.Thread(target=run, name=f"console-rollback-{rollout_id}", daemon=True).start()

    def wait(self, rollout_id: int, timeout: float) -> None:
        t = self._threads.get(rollout_id)
        if t is not None:
            t.join(timeout)
