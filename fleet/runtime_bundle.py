"""`edge-avatar bundle build PROJECT --kind runtime`: the payload of a runtime bundle (the kiosk's own
software), then signed like every other kind (``bundle_builder``).

The payload::

    wheels/edge_avatar-<v>-py3-none-any.whl   this project, built by pip from PROJECT
    wheels/*.whl                              dependency wheels to carry (--with-wheel), optional
    requirements.lock                         name==version of the project's declared dependencies and
                                              theirs (``dependency_lock``), at the admin's versions
                                              (what the new version was tested with)
    runtime.json                              what built it: python, wheel, dependency count

A kiosk installs it into a new virtual environment beside the running one (``runtime_slot``).
"""

from __future__ import annotations

import email.parser
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .bundle_builder import build_bundle
from .bundle_manifest import Manifest
from .dependency_lock import build_lock
from .errors import FleetError

PROJECT = "edge-avatar"
LOCK = "requirements.lock"
INFO = "runtime.json"


def wheel_requirements(wheel: Path) -> list[str]:
    """The wheel's declared requirements (``Requires-Dist`` of its METADATA: pyproject's dependencies)."""
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        if len(names) != 1:
            raise FleetError(f"{wheel}: expected one *.dist-info/METADATA, found {len(names)}")
        meta = email.parser.BytesParser().parsebytes(z.read(names[0]))
    return list(meta.get_all("Requires-Dist") or [])


def dependency_lock(wheel: Path) -> str:
    """The lock for this wheel: its declared requirements, followed through this environment."""
    try:
        return build_lock(wheel_requirements(wheel))
    except ValueError as err:
        raise FleetError(f"{Path(wheel).name}: {err}") from None


def build_wheel(project: Path, out: Path, python: str = sys.executable) -> Path:
    """This project's wheel (pip, with build isolation: the build back-end pyproject.toml names)."""
    if not (Path(project) / "pyproject.toml").is_file():
        raise FleetError(f"{project}: expected the edge-avatar project folder (with pyproject.toml) for --kind runtime")
    done = subprocess.run([python, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q",
                           "-w", str(out), str(project)], capture_output=True, text=True)
    wheels = sorted(Path(out).glob("edge_avatar-*.whl"))
    if done.returncode or not wheels:
        raise FleetError(f"pip wheel {project}: exit {done.returncode}: {(done.stderr or done.stdout).strip()[-400:]}")
    return wheels[-1]


def build_runtime_bundle(project: Path, version: str, key_path: Path, out: Path, valid_days: float = 365.0,
                         min_runtime: str = "0.1.0", extra_wheels: tuple[Path, ...] = (),
                         wheel: Path | None = None, now=None) -> Manifest:
    """Build (or take `wheel`), lock, sign. `extra_wheels`: dependency wheels the kiosks lack."""
    with tempfile.TemporaryDirectory(prefix="runtime-bundle-") as tmp:
        payload = Path(tmp) / "payload"
        wheels = payload / "wheels"
        wheels.mkdir(parents=True)
        if wheel is not None:
            shutil.copy2(wheel, wheels / Path(wheel).name)
            built = wheels / Path(wheel).name
        else:
            built = build_wheel(project, wheels)
        for w in extra_wheels:
            shutil.copy2(w, wheels / Path(w).name)
        (payload / LOCK).write_text(dependency_lock(built))
        (payload / INFO).write_text(json.dumps({"wheel": built.name, "python": platform.python_version(),
                                                "machine": platform.machine(), "version": version}, indent=1))
        return build_bundle(payload, "runtime", version, key_path, out, valid_days, min_runtime, now=now)
