"""The rights records of what ships (``shipped/<asset id>.yaml``), read from the package."""

from __future__ import annotations

from pathlib import Path

from .files import parse_record_bytes
from .labels import AssetRef
from .record import RightsRecord

SHIPPED = Path(__file__).parent / "shipped"
DEFAULT_CHARACTER, DEFAULT_CONTENT = "nova-character", "edge-avatar-default-content"


def shipped_records() -> dict[str, tuple[bytes, RightsRecord]]:
    out = {}
    for path in sorted(SHIPPED.glob("*.yaml")):
        body = path.read_bytes()
        record = parse_record_bytes(body, str(path))
        out[record.asset_id] = (body, record)
    return out


def shipped_ref(asset_id: str) -> AssetRef | None:
    path = SHIPPED / f"{asset_id}.yaml"
    if not path.is_file():
        return None
    body = path.read_bytes()
    return AssetRef(asset_id, parse_record_bytes(body, str(path)).kind, body)


def folder_ref(folder: Path) -> AssetRef | None:
    """The asset in FOLDER, by its own rights.yaml, or None if it has none."""
    path = Path(folder) / "rights.yaml"
    if not path.is_file():
        return None
    body = path.read_bytes()
    record = parse_record_bytes(body, str(path))
    return AssetRef(record.asset_id, record.kind, body)
