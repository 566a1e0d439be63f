"""Shared helpers for fleet tests: keys, small bundles, a fake health check, polling the admin's view."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from fleet.bundle_builder import build_bundle
from fleet.bundle_keys import TrustedKeys, generate_keypair
from fleet.installer import HealthResult

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.timezone.utc)


def keys(folder: Path, name: str = "admin"):
    key, pub = generate_keypair(folder / name)
    return key, pub, TrustedKeys.from_files([pub])


def panel_bundle(folder: Path, key: Path, version: str, payload: str | None = None,
                 extra: dict[str, bytes] | None = None, **kw) -> Path:
    """A `panel` bundle: one profile YAML (what the self-test loads), plus `extra` files (big payloads)."""
    src = folder / f"src-{version}"
    src.mkdir(parents=True, exist_ok=True)
    for name, data in (extra or {}).items():
        (src / name).write_bytes(data)
    (src / "venue-panel.yaml").write_text(payload or (
        "name: venue-panel\nformat: flat\nresolution: [1080, 1920]\nrotation: 0\nfps_cap: 60\n"
        f"brightness: 100\ndescription: lobby panel v{version}\n"), encoding="utf-8")
    out = folder / f"panel-{version}.bundle"
    build_bundle(src, "panel", version, key, out, now=kw.pop("now", NOW), **kw)
    return out


class RecordingHealthCheck:
    def __init__(self, ok: bool = True):
        self.ok = ok
        self.calls: list[tuple[str, Path]] = []

    def __call__(self, kind: str, path: Path) -> HealthResult:
        self.calls.append((kind, path))
        return HealthResult(self.ok, "fake self-test " + ("passed" if self.ok else "failed: panel shows nothing"))


def poll(predicate, timeout: float, what: str) -> None:
    """Wait until predicate() is true, or fail naming what did not happen within timeout seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.1)


def install_progress(admin, device: str, bundle_id: str) -> float:
    """The download progress (0..1) a device last reported for one bundle, as the admin's view holds it."""
    with admin._lock:
        view = admin.devices.get(device)
        recs = [r for r in ((view.reported if view else {}).get("installs") or {}).values()
                if r.get("bundle_id") == bundle_id]
    return float(recs[0].get("progress") or 0.0) if recs else 0.0
