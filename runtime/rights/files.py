"""The rights folder's I/O edge: read an asset's record (and signature) from a folder, and keep
the revocations and the clock floor on disk (crash-safe writes)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import yaml

from runtime.shared.durable_files import read_json, write_json_atomic

from .record import RightsError, RightsRecord, iso, parse_record
from .signature import RECORD, RECORD_SIG, Verify, check_signature

REVOCATIONS, CLOCK_FLOOR = "revocations.json", "clock-floor.json"
_LOGGER = logging.getLogger(__name__)


def parse_record_bytes(body: bytes, where: str) -> RightsRecord:
    try:
        raw = yaml.safe_load(body.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as err:
        raise RightsError(f"{where}: not readable YAML ({err})") from None
    return parse_record(raw, where)


def read_record(folder: Path, verify: Verify | None = None) -> RightsRecord:
    """The record in FOLDER/rights.yaml; its signature is checked when `verify` is given."""
    path = Path(folder) / RECORD
    if not path.is_file():
        raise RightsError(f"{path}: no rights record (expected {RECORD}: see docs/rights.md)")
    body = path.read_bytes()
    if verify is not None:
        sig_path = path.with_name(RECORD_SIG)
        check_signature(body, sig_path.read_bytes() if sig_path.is_file() else None, verify, str(path))
    return parse_record_bytes(body, str(path))


def read_revocations(data_dir: Path) -> dict[str, dict]:
    """asset id -> {reason, revoked_at, key_id} of every revocation the agent accepted."""
    return read_json(Path(data_dir) / REVOCATIONS, {})


def add_revocation(data_dir: Path, asset_id: str, entry: dict) -> None:
    revoked = read_revocations(data_dir)
    revoked[asset_id] = entry
    write_json_atomic(Path(data_dir) / REVOCATIONS, revoked)


def read_clock_floor(data_dir: Path) -> dt.datetime | None:
    """The saved floor of the trusted clock (runtime/rights/clock.py); None if there is none yet."""
    path = Path(data_dir) / CLOCK_FLOOR
    raw = read_json(path, {}).get("floor")
    try:
        return dt.datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None
    except (ValueError, AttributeError):
        _LOGGER.error("%s: floor: expected an ISO 8601 UTC time, got %r; starting without a floor", path, raw)
        return None


def write_clock_floor(data_dir: Path, t: dt.datetime) -> None:
    write_json_atomic(Path(data_dir) / CLOCK_FLOOR, {"floor": iso(t)})
