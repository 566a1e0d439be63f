"""Runtime bundles on the kiosk: the new version prepared in its own virtual environment beside the
running one (an A/B slot under ``DATA/installs/runtime/<version>/venv``), then handed to the service
launcher as a trial (``runtime.shared.runtime_slots``); the launcher's verdict comes back here.

Preparing a slot: ``python -m venv --without-pip``; the base install's site-packages appended by a
``.pth`` (so the dependencies are shared; the slot's own wheels come first); the bundle's wheels
installed with pip, offline (``--no-index --no-deps``); then the bundle's dependency lock checked
inside the slot (``dependency_lock``: only the new version's declared dependencies and theirs, as the
slot's environment resolves them) and the slot's code imported once. Anything wrong refuses the bundle with its
reason before the running version is touched.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from runtime.shared.durable_files import remove_file, sync_tree
from runtime.shared.runtime_slots import (
    KIND,
    SlotFiles,
    SlotVerdict,
    Trial,
    read_trial,
    read_verdict,
    slot_executable,
    write_trial,
)

from . import dependency_lock
from .errors import BundleRejected
from .runtime_bundle import LOCK

_LOGGER = logging.getLogger(__name__)
BASE_PTH = "_edge_avatar_base.pth"



def slot_env() -> dict[str, str]:
    """The environment for a slot's processes: no PYTHONPATH/PYTHONHOME (the slot's code must be its own)."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def base_site_packages() -> list[str]:
    """The site-packages of the base install: this interpreter's, minus any runtime slot's."""
    paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    paths |= {p for p in sys.path if p.endswith("site-packages")}
    return sorted(p for p in paths if f"/installs/{KIND}/" not in p and Path(p).is_dir())


@dataclass(frozen=True)
class TrialTimes:
    ready_deadline_s: float = 120.0
    settle_s: float = 60.0
    max_starts: int = 3
    require_fleet: bool = False       # the kiosk embeds this agent: its link must come up in the trial too

    def __post_init__(self):
        if not (self.ready_deadline_s > 0 and self.settle_s >= 0 and self.max_starts >= 1):
            raise ValueError(f"expected a ready deadline > 0 s, a settle time >= 0 s and at least 1 start (got "
                             f"{self.ready_deadline_s}, {self.settle_s}, {self.max_starts})")


class RuntimeSlots:
    def __init__(self, data_dir: Path, times: TrialTimes = TrialTimes(), python: str = sys.executable,
                 base_site: list[str] | None = None, timeout_s: float = 900.0):
        self.files = SlotFiles(Path(data_dir).resolve())
        self.times = times
        self.python = python
        self.base_site = base_site if base_site is not None else base_site_packages()
        self.timeout_s = timeout_s

    def _run(self, cmd: list[str], what: str, reason: str = "health-check-failed") -> str:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout_s, env=slot_env(),
                                  cwd=self.files.data)     # not the cwd: `python -c` imports from it
        except subprocess.TimeoutExpired:
            raise BundleRejected(reason, f"{what}: not done within {self.timeout_s:g} s") from None
        if done.returncode:
            raise BundleRejected(reason, f"{what}: {(done.stdout + done.stderr).strip()[-300:] or done.returncode}")
        return done.stdout.strip()

    def prepare(self, slot: Path) -> str:
        """Build the slot's virtual environment; raises BundleRejected with the reason."""
        slot = Path(slot).resolve()
        wheels = sorted((slot / "wheels").glob("*.whl"))
        if not any(w.name.startswith("edge_avatar-") for w in wheels):
            raise BundleRejected("bad-manifest", f"{slot.name}: a runtime bundle carries wheels/edge_avatar-*.whl")
        venv = slot / "venv"
        self._run([self.python, "-m", "venv", "--without-pip", "--clear", str(venv)], "python -m venv")
        py = venv / "bin" / "python"
        purelib = self._run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            "the slot's python")
        (Path(purelib) / BASE_PTH).write_text("".join(p + "\n" for p in self.base_site))
        self._run([self.python, "-m", "pip", "--python", str(py), "install", "--no-index", "--no-deps",
                   "--disable-pip-version-check", "-q", *map(str, wheels)], "pip install (offline)")
        if (slot / LOCK).is_file():
            check = Path(dependency_lock.__file__).read_text(encoding="utf-8")   # the installer's code, run there
            self._run([str(py), "-c", check, str(slot / LOCK)], "the dependency lock", "incompatible")
        where = self._run([str(py), "-c", "import runtime, fleet; print(runtime.__file__)"], "import runtime")
        if not where.startswith(str(venv)) or not slot_executable(slot).exists():
            raise BundleRejected("health-check-failed", f"the slot runs {where}, not its own code")
        sync_tree(slot)       # venv and pip wrote it through the page cache: on the card before a trial names it
        return f"slot {slot.name}: {len(wheels)} wheels, dependency lock satisfied"

    # ---- the trial, and its verdict ------------------------------------------------------------
    def pending(self, bundle_id: str | None = None) -> Trial | None:
        trial = read_trial(self.files)
        return trial if trial and (bundle_id is None or trial.bundle_id == bundle_id) else None

    def request_trial(self, bundle_id: str, version: str, slot: Path) -> Trial:
        current = self.files.current()
        trial = Trial(bundle_id, version, str(Path(slot).resolve()), str(current) if current else None,
                      self.times.ready_deadline_s, self.times.settle_s, self.times.max_starts,
                      self.times.require_fleet)
        write_trial(self.files, trial)
        _LOGGER.warning("runtime %s prepared; the launcher tries it at the next start", version)
        return trial

    def verdict(self) -> SlotVerdict | None:
        """The launcher's verdict, once it is final (its trial file gone)."""
        return None if self.files.trial_file.exists() else read_verdict(self.files)

    def consumed(self) -> None:
        remove_file(self.files.verdict_file)
