"""The signed manifest inside every bundle: what it is, which files, until when (pure)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from .errors import BundleRejected
from .versions import VersionError, parse_version

FORMAT = "edge-avatar-bundle/1"
KINDS = ("content", "avatar", "voice", "asr-model", "tflite-model", "panel", "config", "runtime")
MANIFEST, SIGNATURE, PAYLOAD = "manifest.json", "manifest.sig", "payload/"


@dataclass(frozen=True)
class FileEntry:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    kind: str
    version: str
    created: dt.datetime
    expires: dt.datetime
    min_runtime: str
    key_id: str
    files: tuple[FileEntry, ...]

    def as_json(self) -> dict:
        return {"format": FORMAT, "kind": self.kind, "version": self.version,
                "created": _iso(self.created), "expires": _iso(self.expires),
                "min_runtime": self.min_runtime, "key_id": self.key_id,
                "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in self.files]}

    def encode(self) -> bytes:
        """The exact bytes that are signed (sorted keys, no spaces)."""
        return json.dumps(self.as_json(), sort_keys=True, separators=(",", ":")).encode()

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_manifest(data: bytes) -> Manifest:
    def bad(detail: str) -> BundleRejected:
        return BundleRejected("bad-manifest", f"{MANIFEST}: {detail}")
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise bad(f"not JSON ({err})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise bad(f"field format: expected {FORMAT!r}")
    if raw.get("kind") not in KINDS:
        raise bad(f"field kind: expected one of {', '.join(KINDS)}, got {raw.get('kind')!r}")
    try:
        parse_version(raw.get("version"))
        parse_version(raw.get("min_runtime", "0"))
    except VersionError as err:
        raise bad(str(err)) from None
    times = {}
    for field in ("created", "expires"):
        try:
            times[field] = dt.datetime.fromisoformat(str(raw.get(field)).replace("Z", "+00:00"))
        except ValueError:
            raise bad(f"field {field}: expected an ISO 8601 UTC time, got {raw.get(field)!r}") from None
        if times[field].tzinfo is None:
            raise bad(f"field {field}: expected a time zone (…Z)")
    files = []
    for i, f in enumerate(raw.get("files") or []):
        if not (isinstance(f, dict) and isinstance(f.get("path"), str) and isinstance(f.get("size"), int)
                and isinstance(f.get("sha256"), str) and len(f["sha256"]) == 64):
            raise bad(f"files[{i}]: expected {{path, sha256 (64 hex), size}}")
        files.append(FileEntry(f["path"], f["sha256"], f["size"]))
    if not files:
        raise bad("field files: expected at least one file")
    if not isinstance(raw.get("key_id"), str):
        raise bad("field key_id: expected the signing key's id")
    return Manifest(raw["kind"], raw["version"], times["created"], times["expires"],
                    raw.get("min_runtime", "0"), raw["key_id"], tuple(files))
