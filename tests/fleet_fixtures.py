"""Shared helpers for fleet tests: keys, small bundles, a fake health check."""

from __future__ import annotations

import datetime as dt
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
