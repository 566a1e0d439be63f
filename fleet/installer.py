"""BundleInstaller: stage → verify → atomic switch → health check → commit, or roll back.

On disk (``DATA/``)::

    installs/<kind>/<version>/   unpacked, verified bundles (the committed one and its previous)
    current/<kind>               symlink to the version the kiosk runs (the switch is one rename)
    state.json                   committed versions, previous versions, bundle ids ever installed
    pending.json                 journal of an install between switch and commit

``current/<kind>`` only ever points at a folder that was fully written and verified, so a
``kill -9`` at any step leaves the kiosk on the old or the new version. ``recover()`` runs at
start-up: an install that did not commit is rolled back (and retried once by the agent), one
that committed but did not clear its journal is rolled forward.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NoReturn, Protocol

from runtime.shared.durable_files import (
    make_dirs,
    point_link_atomic,
    read_json,
    remove_file,
    rename_dir_atomic,
    sync_tree,
    write_json_atomic,
)
from runtime.shared.runtime_slots import COMMITTED, KIND

from .bundle_verifier import BundleVerifier
from .errors import BundleRejected
from .failpoints import failpoint
from .install_state import InstallState
from .runtime_slot import RuntimeSlots

_LOGGER = logging.getLogger(__name__)
MAX_ATTEMPTS = 2
RUNTIME = KIND


@dataclass(frozen=True)
class HealthResult:
    ok: bool
    detail: str = ""


class HealthCheck(Protocol):
    def __call__(self, kind: str, path: Path) -> HealthResult: ...


@dataclass(frozen=True)
class InstallResult:
    kind: str
    version: str
    bundle_id: str
    state: InstallState   # COMMITTED | ALREADY_INSTALLED | ROLLED_BACK | INSTALLING (a runtime on trial)
    restart: bool = False  # a runtime bundle was prepared: the service must restart for the launcher to try it


class BundleInstaller:
    def __init__(self, data_dir: Path, verifier: BundleVerifier, health_check: HealthCheck,
                 runtime_version: str = "0.1.0", on_failpoint: Callable[[str], None] = failpoint,
                 runtime_slots: RuntimeSlots | None = None):
        self.data = Path(data_dir)
        self.runtime_slots = runtime_slots or RuntimeSlots(self.data)
        self.verifier = verifier
        self.health_check = health_check
        self.runtime_version = runtime_version
        self._failpoint = on_failpoint
        for sub in ("installs", "current"):
            make_dirs(self.data / sub)

    # ---- state -------------------------------------------------------------------------------
    @property
    def _state_path(self) -> Path:
        return self.data / "state.json"

    @property
    def _journal_path(self) -> Path:
        return self.data / "pending.json"

    def state(self) -> dict:
        state = read_json(self._state_path, {})
        state.setdefault("kinds", {})
        state.setdefault("installed_ids", [])
        state.setdefault("refused_ids", {})
        state.setdefault("attempts", {})
        return state

    def versions(self) -> dict[str, str]:
        return {kind: rec["version"] for kind, rec in sorted(self.state()["kinds"].items())}

    def current_path(self, kind: str) -> Path | None:
        link = self.data / "current" / kind
        return link.resolve() if link.is_symlink() else None

    def was_installed(self, bundle_id: str) -> bool:
        return bundle_id in self.state()["installed_ids"]

    def refusal(self, bundle_id: str) -> dict | None:
        return self.state()["refused_ids"].get(bundle_id)

    # ---- recovery ------------------------------------------------------------------------------
    def recover(self) -> str | None:
        """Finish or undo an install a crash interrupted; clear leftovers. Returns what it did."""
        journal = read_json(self._journal_path, None)
        done = None
        if journal is not None:
            state = self.state()
            committed = state["kinds"].get(journal["kind"], {}).get("bundle_id") == journal["bundle_id"]
            if committed:
                done = f"rolled forward {journal['kind']} {journal['version']} (committed before the crash)"
            else:
                point_link_atomic(self.data / "current" / journal["kind"],
                                  Path(journal["from"]) if journal["from"] else None)
                done = f"rolled back {journal['kind']} {journal['version']} (interrupted before commit)"
            remove_file(self._journal_path)
            _LOGGER.warning("install recovery: %s", done)
        done = self.finish_runtime() or done
        self._collect_garbage()
        return done

    def _collect_garbage(self) -> None:
        state = self.state()
        keep = set()
        for kind, rec in state["kinds"].items():
            keep.add(Path(rec["path"]).resolve())
            if rec.get("previous"):
                keep.add(Path(rec["previous"]["path"]).resolve())
        for link in (self.data / "current").iterdir():
            if link.is_symlink():
                keep.add(link.resolve())
        if trial := self.runtime_slots.pending():
            keep.add(Path(trial.to).resolve())
        for kind_dir in (self.data / "installs").iterdir():
            for version_dir in kind_dir.iterdir():
                if version_dir.resolve() not in keep:
                    shutil.rmtree(version_dir, ignore_errors=False)

    # ---- install -------------------------------------------------------------------------------
    def install(self, bundle: Path, bundle_id: str, kind: str, now: dt.datetime) -> InstallResult:
        """Stage, verify, switch, health-check, commit. Raises BundleRejected (and keeps the refusal)."""
        state = self.state()
        if bundle_id in state["installed_ids"]:
            rec = state["kinds"].get(kind, {})
            return InstallResult(kind, rec.get("version", "?"), bundle_id, InstallState.ALREADY_INSTALLED)
        if kind == RUNTIME and (trial := self.runtime_slots.pending(bundle_id)):
            return InstallResult(kind, trial.version, bundle_id, InstallState.INSTALLING)   # the launcher has it
        self._count_attempt(state, bundle_id)
        current = state["kinds"].get(kind)
        final, version = self._unpack(bundle, bundle_id, kind, current["version"] if current else None, now)
        if kind == RUNTIME:
            return self._runtime_trial(bundle_id, version, final)
        previous_target = self._switch(kind, bundle_id, version, final)
        health = self.health_check(kind, final)
        self._failpoint("health-checked")
        if not health.ok:
            point_link_atomic(self.data / "current" / kind, previous_target)
            remove_file(self._journal_path)
            shutil.rmtree(final, ignore_errors=True)
            self._refuse(bundle_id, "health-check-failed", health.detail)
        self._commit(kind, bundle_id, version, final, current, now)
        _LOGGER.info("installed %s %s (%s)", kind, version, health.detail or "self-test passed")
        return InstallResult(kind, version, bundle_id, InstallState.COMMITTED)

    # ---- runtime bundles: a slot prepared here, judged by the service launcher ----------------------
    def _runtime_trial(self, bundle_id: str, version: str, final: Path) -> InstallResult:
        try:
            detail = self.runtime_slots.prepare(final)
        except BundleRejected as err:
            shutil.rmtree(final, ignore_errors=True)
            self._refuse(bundle_id, err.reason, err.detail)
        self._failpoint("prepared")
        self.runtime_slots.request_trial(bundle_id, version, final)
        self._failpoint("trial-written")
        _LOGGER.info("runtime %s ready for its trial (%s)", version, detail)
        return InstallResult(RUNTIME, version, bundle_id, InstallState.INSTALLING, restart=True)

    def finish_runtime(self, now: dt.datetime | None = None) -> str | None:
        """Take the launcher's verdict on a runtime trial into the state: committed (the version
        before kept for a rollback), or refused with its reason. Idempotent: a crash between the
        state and the verdict's removal is finished by the next call."""
        verdict = self.runtime_slots.verdict()
        if verdict is None:
            return None
        state = self.state()
        slot = self.data / "installs" / RUNTIME / verdict.version
        if verdict.bundle_id in state["installed_ids"] or verdict.bundle_id in state["refused_ids"]:
            pass
        elif verdict.outcome == COMMITTED:
            self._commit(RUNTIME, verdict.bundle_id, verdict.version, slot, state["kinds"].get(RUNTIME),
                         now or dt.datetime.now(dt.timezone.utc))
        else:
            try:
                self._refuse(verdict.bundle_id, "health-check-failed", verdict.detail)
            except BundleRejected:
                pass
        self._failpoint("verdict-taken")
        self.runtime_slots.consumed()
        self._collect_garbage()
        return f"runtime {verdict.version} {verdict.outcome} by the launcher ({verdict.detail})"

    def _count_attempt(self, state: dict, bundle_id: str) -> None:
        """Refuse a bundle whose earlier attempts never finished (a crash loop); count this one."""
        attempts = state["attempts"].get(bundle_id, 0)
        if attempts >= MAX_ATTEMPTS:
            self._refuse(bundle_id, "interrupted", f"{attempts} earlier attempts did not finish")
        state["attempts"][bundle_id] = attempts + 1
        write_json_atomic(self._state_path, state)
        self._failpoint("attempt-counted")

    def _unpack(self, bundle: Path, bundle_id: str, kind: str, installed_version: str | None,
                now: dt.datetime) -> tuple[Path, str]:
        """Verify while extracting into a staging folder, then rename it to installs/<kind>/<version>."""
        kind_dir = self.data / "installs" / kind
        make_dirs(kind_dir)
        staging = kind_dir / f".staging-{bundle_id[:16]}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            manifest = self.verifier.verify(bundle, now, installed_version, self.runtime_version, kind,
                                            extract_to=staging)
        except BundleRejected as err:
            shutil.rmtree(staging, ignore_errors=True)
            self._refuse(bundle_id, err.reason, err.detail)
        self._failpoint("staged")
        final = kind_dir / manifest.version
        if final.exists():
            shutil.rmtree(final)
        sync_tree(staging)           # its files are fsynced as extracted; its folders' entries too
        rename_dir_atomic(staging, final)
        self._failpoint("unpacked")
        return final, manifest.version

    def _switch(self, kind: str, bundle_id: str, version: str, final: Path) -> Path | None:
        """Journal the install, then point current/<kind> at it. Returns where it pointed before."""
        previous_target = self.current_path(kind)
        write_json_atomic(self._journal_path, {"kind": kind, "bundle_id": bundle_id, "version": version,
                                               "from": str(previous_target) if previous_target else None,
                                               "to": str(final)})
        self._failpoint("journaled")
        point_link_atomic(self.data / "current" / kind, final)
        self._failpoint("switched")
        return previous_target

    def _commit(self, kind: str, bundle_id: str, version: str, final: Path, current: dict | None,
                now: dt.datetime) -> None:
        state = self.state()
        state["kinds"][kind] = {"version": version, "bundle_id": bundle_id, "path": str(final),
                                "installed_at": now.isoformat(),
                                "previous": ({k: current[k] for k in ("version", "bundle_id", "path")}
                                             if current else None)}
        state["installed_ids"].append(bundle_id)
        state["attempts"].pop(bundle_id, None)
        write_json_atomic(self._state_path, state)          # the commit point
        self._failpoint("committed")
        remove_file(self._journal_path)                     # a runtime trial has no journal
        self._collect_garbage()

    def _refuse(self, bundle_id: str, reason: str, detail: str) -> NoReturn:
        state = self.state()
        state["refused_ids"][bundle_id] = {"reason": reason, "detail": detail}
        state["attempts"].pop(bundle_id, None)
        write_json_atomic(self._state_path, state)
        raise BundleRejected(reason, detail)

    # ---- admin rollback ------------------------------------------------------------------------
    def roll_back(self, kind: str) -> InstallResult:
        """Go back to the version installed before the current one (kept on disk, verified then)."""
        if kind == RUNTIME:
            raise BundleRejected("incompatible", "a runtime goes back on its own when its trial fails; after a "
                                                 "commit, ship the fix as a newer runtime bundle")
        state = self.state()
        rec = state["kinds"].get(kind)
        if not rec or not rec.get("previous"):
            raise BundleRejected("incompatible", f"no earlier {kind} version kept to roll back to")
        prev = rec["previous"]
        point_link_atomic(self.data / "current" / kind, Path(prev["path"]))
        health = self.health_check(kind, Path(prev["path"]))
        if not health.ok:
            point_link_atomic(self.data / "current" / kind, Path(rec["path"]))
            raise BundleRejected("health-check-failed", f"the earlier {kind} {prev['version']}: {health.detail}")
        state["kinds"][kind] = {**prev, "previous": None}
        state["refused_ids"][rec["bundle_id"]] = {"reason": "rolled-back", "detail": "rolled back by an admin"}
        write_json_atomic(self._state_path, state)
        self._collect_garbage()
        return InstallResult(kind, prev["version"], prev["bundle_id"], InstallState.ROLLED_BACK)
