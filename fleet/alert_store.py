"""Where a device keeps its unacknowledged staff alerts: ``DATA/alerts.json``, written whole (temp
file, fsync, rename), so a power cut leaves the old list or the new one, never half of one."""

from __future__ import annotations

import json
from pathlib import Path

from runtime.shared.durable_files import fsync_dir, write_json_atomic

from .errors import FleetError

ALERT_FILE = "alerts.json"


class AlertFileError(FleetError):
    """The alert file cannot be read as a JSON object (names the file and why)."""


class FileAlertStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.name = str(self.path)

    def load(self) -> dict | None:
        """The file's object; None when there is no file yet; ``AlertFileError`` when it is unreadable."""
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise AlertFileError(f"{self.path}: expected the agent's JSON list of staff alerts "
                                 f"({type(err).__name__}: {err})") from None
        if not isinstance(doc, dict):
            raise AlertFileError(f"{self.path}: expected a JSON object with `alerts`, got {type(doc).__name__}")
        return doc

    def save(self, doc: dict) -> None:
        write_json_atomic(self.path, doc)

    def set_aside(self) -> Path | None:
        """Keep a bad file for a person to read (``alerts.json.bad-N``) before it is written over."""
        if not self.path.exists():
            return None
        n = 1
        while (aside := self.path.with_name(f"{self.path.name}.bad-{n}")).exists():
            n += 1
        self.path.rename(aside)
        fsync_dir(self.path.parent)
        return aside
