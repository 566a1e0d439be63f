"""The on-disk contract between the fleet installer and the service launcher for runtime bundles
(A/B software updates of the kiosk itself). Both sides import only this (``runtime.shared``).

In the data folder ``DATA/``::

    installs/runtime/<version>/venv/    a prepared slot: a virtual environment with that version
    current/runtime                     symlink to the slot that runs (absent: the base install)
    runtime-trial.json                  the installer's request: try slot `to`, fall back to `from`
    runtime-launch.json                 the launcher's count of starts of that trial
    runtime-verdict.json                the launcher's verdict (committed / rolled-back), which
                                        the installer turns into its state at the next start

Each file is written whole (fsync + rename) and the link is switched in one rename, so a power
loss leaves each as it was or as it is meant to be; the launcher's steps are ordered so that any
prefix of them is finished by its next start (``runtime.ops.service.launcher``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from .durable_files import read_json, write_json_atomic

KIND = "runtime"
COMMITTED, ROLLED_BACK = "committed", "rolled-back"

# The health of a starting kiosk, as sd_notify lines beside READY=1 (systemd ignores X_ variables; the
# launcher judges a trial by them). Each is sent once, when it first holds.
LISTENING = "X_EDGE_AVATAR_LISTENING=1"      # the recogniser and the voice loaded, the listener running
RENDERING = "X_EDGE_AVATAR_RENDERING=1"      # at least one frame of the avatar drawn
FLEET_CONNECTED = "X_EDGE_AVATAR_FLEET=connected"   # the embedded fleet agent's MQTT link is up


@dataclass(frozen=True)
class SlotFiles:
    data: Path

    @property
    def link(self) -> Path:
        return self.data / "current" / KIND

    @property
    def trial_file(self) -> Path:
        return self.data / "runtime-trial.json"

    @property
    def launch_file(self) -> Path:
        return self.data / "runtime-launch.json"

    @property
    def verdict_file(self) -> Path:
        return self.data / "runtime-verdict.json"

    def current(self) -> Path | None:
        return self.link.resolve() if self.link.is_symlink() else None


def slot_executable(slot: Path) -> Path:
    """The `edge-avatar` command of a prepared slot."""
    return Path(slot) / "venv" / "bin" / "edge-avatar"


@dataclass(frozen=True)
class Trial:
    bundle_id: str
    version: str
    to: str                       # the new slot
    came_from: str | None         # the slot that ran before (None: the base install)
    ready_deadline_s: float = 120.0   # its health check passed within this, or it is rolled back
    settle_s: float = 60.0            # ... and it must then stay up this long
    max_starts: int = 3               # starts that end before it settles, then rolled back
    # the new version's embedded fleet agent must connect too (a kiosk run with --fleet-broker; a kiosk
    # whose fleet agent runs on its own, or none, is judged on listening and rendering only)
    require_fleet: bool = False

    def __post_init__(self):
        if not (self.ready_deadline_s > 0 and self.settle_s >= 0 and self.max_starts >= 1):
            raise ValueError(f"runtime trial {self.version}: expected ready_deadline_s > 0, settle_s >= 0, "
                             f"max_starts >= 1 (got {self.ready_deadline_s}, {self.settle_s}, {self.max_starts})")


@dataclass(frozen=True)
class SlotVerdict:
    bundle_id: str
    version: str
    outcome: str                  # COMMITTED or ROLLED_BACK
    detail: str = ""


def read_trial(files: SlotFiles) -> Trial | None:
    raw = read_json(files.trial_file, None)
    if raw is None:
        return None
    try:
        return Trial(**raw)
    except TypeError as err:
        raise ValueError(f"{files.trial_file}: expected the fields of a runtime trial ({err})") from None


def write_trial(files: SlotFiles, trial: Trial) -> None:
    write_json_atomic(files.trial_file, asdict(trial))


def read_verdict(files: SlotFiles) -> SlotVerdict | None:
    raw = read_json(files.verdict_file, None)
    if raw is None:
        return None
    try:
        return SlotVerdict(**raw)
    except TypeError as err:
        raise ValueError(f"{files.verdict_file}: expected the fields of a runtime verdict ({err})") from None


def write_verdict(files: SlotFiles, verdict: SlotVerdict) -> None:
    write_json_atomic(files.verdict_file, asdict(verdict))


def read_starts(files: SlotFiles, bundle_id: str) -> int:
    """Starts of this trial so far (another bundle's count does not carry over)."""
    raw = read_json(files.launch_file, {}) or {}
    return int(raw.get("starts", 0)) if raw.get("bundle_id") == bundle_id else 0


def write_starts(files: SlotFiles, bundle_id: str, starts: int) -> None:
    write_json_atomic(files.launch_file, {"bundle_id": bundle_id, "starts": starts})
