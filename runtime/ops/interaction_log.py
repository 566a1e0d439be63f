"""The interaction log: one text line per answered turn, kept at least six months, size-capped.

Fields: time (venue-local ISO 8601), language, transcript, intent (or "fallback"),
answer id (pack venue id, intent, pack sha256 prefix), confidence. No audio or
image is ever written here. Files rotate daily (`interactions-YYYY-MM-DD.log`);
the oldest files are deleted only beyond the retention period or the size cap,
whichever comes first — the cap defaults well above six months of a busy kiosk.

Writes are batched for the SD card: each line reaches the file (the kernel's page cache) at once,
so a crashed kiosk loses nothing; the file is flushed to the card (fsync) at most once a minute and
when the kiosk stops, so only a power cut can lose the last minute.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path

_LOGGER = logging.getLogger(__name__)
RETENTION_DAYS = 200          # > 6 months, as the AI-content rules require
SIZE_CAP_BYTES = 512 << 20    # ~2.5 M turns of ~200 bytes


class InteractionLog:
    def __init__(self, folder: Path, retention_days: int = RETENTION_DAYS, size_cap: int = SIZE_CAP_BYTES,
                 sync_every_s: float = 60.0):
        if retention_days < 183:
            raise ValueError("interaction log retention must be at least six months (183 days)")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.retention_days = retention_days
        self.size_cap = size_cap
        self.sync_every_s = sync_every_s
        self._last_sync: dt.datetime | None = None
        self._unsynced: set[Path] = set()
        self.syncs = 0

    def write(self, when: dt.datetime, turn: dict) -> Path:
        path = self.folder / f"interactions-{when.date().isoformat()}.log"
        intent = turn.get("intent") or turn.get("kind") or "fallback"
        line = "\t".join([when.isoformat(timespec="seconds"), turn.get("lang", ""),
                          json.dumps(turn.get("transcript", ""), ensure_ascii=False),
                          intent, turn.get("answer_id")
                          or f"{turn.get('pack', '')}/{intent}@{str(turn.get('pack_sha256', ''))[:12]}",
                          f"{float(turn.get('confidence', 0.0)):.3f}"])
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        self._unsynced.add(path)
        if self._last_sync is None or (when - self._last_sync).total_seconds() >= self.sync_every_s:
            self.sync()
            self._last_sync = when
        return path

    def sync(self) -> None:
        """Flush written lines to the card (batched: see the module doc); also when the kiosk stops."""
        for path in sorted(self._unsynced):
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        if self._unsynced:
            self.syncs += 1
        self._unsynced.clear()

    def prune(self, today: dt.date) -> list[Path]:
        """Delete files older than the retention period, then the oldest beyond the size cap."""
        files = sorted(self.folder.glob("interactions-*.log"))
        removed = []
        for f in files:
            try:
                day = dt.date.fromisoformat(f.stem.removeprefix("interactions-"))
            except ValueError:
                continue   # not one of ours
            if (today - day).days > self.retention_days:
                f.unlink()
                removed.append(f)
        files = [f for f in sorted(self.folder.glob("interactions-*.log")) if f not in removed]
        total = sum(f.stat().st_size for f in files)
        while total > self.size_cap and len(files) > 1:   # never delete today's file
            oldest = files.pop(0)
            total -= oldest.stat().st_size
            oldest.unlink()
            removed.append(oldest)
            _LOGGER.warning("interaction log over its %d MB cap: removed %s", self.size_cap >> 20, oldest.name)
        return removed
