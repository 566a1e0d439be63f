"""What the agent can ask of the kiosk it serves: commands, settings, telemetry.

``StandaloneControl`` is the agent run on its own (``edge-avatar agent``) beside a kiosk
service: it restarts the service with a configured command, collects logs from the data
folder and reads board health. ``runtime.fleet_link.KioskControl`` is the same interface for
the agent embedded in ``edge-avatar run``. Both are real; tests use the standalone one.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from collections import deque
from pathlib import Path
from typing import Any, Callable, Protocol

import yaml

from runtime.shared.board import board_health
from runtime.shared.durable_files import replace_atomic

_LOGGER = logging.getLogger(__name__)
LOG_TAIL_LINES = 200


class DeviceControl(Protocol):
    def command(self, name: str, args: dict) -> tuple[int, str, Any]: ...
    def apply_settings(self, settings: dict) -> None: ...
    def telemetry(self) -> dict: ...


SettingsCheck = Callable[[Path], None]   # raises, naming the file and field, when the kiosk would refuse it


def write_settings_overlay(data_dir: Path, settings: dict, check: SettingsCheck | None) -> Path:
    """Validate the settings the way `run --settings` will (``check``, given by the kiosk side), then
    swap them in atomically."""
    path = Path(data_dir) / "settings.yaml"
    tmp = path.with_name(".settings.yaml.tmp")
    tmp.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=True), encoding="utf-8")
    try:
        if check is not None:
            check(tmp)
    except Exception:
        tmp.unlink()
        raise
    replace_atomic(tmp, path)        # fsynced first: a power cut leaves the old settings or the new, never empty ones
    return path


class StandaloneControl:
    def __init__(self, data_dir: Path, restart_cmd: str | None = None, check_settings: SettingsCheck | None = None):
        self.data_dir = Path(data_dir)
        self.restart_cmd = restart_cmd
        self.check_settings = check_settings
        self.volume: float | None = None

    def command(self, name: str, args: dict) -> tuple[int, str, Any]:
        if name in ("restart", "reload"):
            if not self.restart_cmd:
                return 501, "no --restart-cmd configured for this agent", None
            done = subprocess.run(shlex.split(self.restart_cmd), capture_output=True, text=True, timeout=60)
            if done.returncode:
                return 500, f"{self.restart_cmd}: exit {done.returncode}: {done.stderr.strip()[-200:]}", None
            return 200, f"{name}: ran {self.restart_cmd}", None
        if name == "set-volume":
            level = args.get("level")
            if not isinstance(level, (int, float)) or not 0 <= level <= 1:
                return 400, f"set-volume: args.level: expected a number from 0 to 1, got {level!r}", None
            settings = _read_settings(self.data_dir)
            settings["volume"] = float(level)
            write_settings_overlay(self.data_dir, settings, self.check_settings)
            self.volume = float(level)
            return 200, f"volume {level:g} (applies when the kiosk reloads its settings)", None
        if name == "say":
            return 501, "say needs the agent embedded in a running kiosk (edge-avatar run --fleet-broker)", None
        if name == "collect-logs":
            return 200, "ok", collect_logs(self.data_dir, int(args.get("lines", LOG_TAIL_LINES)))
        return 404, f"unknown command {name!r}", None

    def apply_settings(self, settings: dict) -> None:
        write_settings_overlay(self.data_dir, settings, self.check_settings)

    def telemetry(self) -> dict:
        return {"health": board_health()}


def _read_settings(data_dir: Path) -> dict:
    path = Path(data_dir) / "settings.yaml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}


def collect_logs(data_dir: Path, lines: int = LOG_TAIL_LINES) -> dict:
    """The last lines of every log the kiosk and agent keep under the data folder (bounded)."""
    lines = max(1, min(lines, 2000))
    out = {}
    for path in sorted(Path(data_dir).rglob("*.log")) + sorted(Path(data_dir).rglob("*.jsonl")):
        with open(path, encoding="utf-8", errors="replace") as f:
            out[str(path.relative_to(data_dir))] = list(deque(f, maxlen=lines))
    return out
