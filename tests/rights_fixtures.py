"""Rights records for tests: a fictional real person's character, with a consent window."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from runtime.rights.record import iso

PERSON = "Lin Xiaoyu (fictional test person)"


def person_record(until: dt.datetime, venues=("mall-a",), regions=("*",), kind: str = "avatar",
                  asset_id: str = "lin-xiaoyu-character", start: dt.datetime | None = None) -> str:
    start = start or until - dt.timedelta(days=365)
    return f"""format: edge-avatar-rights/1
asset: {{id: {asset_id}, kind: {kind}, name: Lin Xiaoyu}}
owner: Test Venue Co.
origin: real-person
licence: proprietary, licensed to the venue for its kiosks
commercial: permits
lineage:
  - {{role: artwork, name: Lin Xiaoyu portrait layers, licence: proprietary (commissioned), commercial: permits}}
consent:
  subject: {PERSON}
  rights_holder: {PERSON}
  likeness: [face]
  scope: {{venues: {list(venues)}, regions: {list(regions)}, purposes: [commercial]}}
  valid_from: {iso(start)}
  valid_until: {iso(until)}
"""


def original_record(kind: str, asset_id: str) -> str:
    return f"""format: edge-avatar-rights/1
asset: {{id: {asset_id}, kind: {kind}, name: {asset_id}}}
owner: edge-avatar tests
origin: original
licence: Apache-2.0
"""


def write_record(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rights.yaml").write_text(text, encoding="utf-8")
    return folder


def with_rights(src: Path, dest: Path, kind: str, asset_id: str) -> Path:
    """A copy of SRC with an original-work rights record (what an admin adds before bundling)."""
    import shutil
    shutil.copytree(src, dest)
    return write_record(dest, original_record(kind, asset_id))
