"""Build a signed content bundle from a draft with the code of `edge-avatar bundle build`.

A content bundle carries the pack's rights record (`rights.yaml`, docs/rights.md: kiosks refuse a
content bundle without one): the admin names the owner and the licence of the venue's words, the
record says they are original work, and `build_bundle` signs it with the bundle key.

The admin gives the Ed25519 private key for this one build (an upload): it is written to a private
temporary file (0600) for `build_bundle`, which reads it, and the file is deleted when the build
ends — the console never keeps a signing key it was not told to keep. The draft must pass the checker
first (a kiosk's self-test would refuse it anyway), and the built bundle is verified against the
key's own public half before it is offered to a rollout.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleet.bundle_builder import build_bundle
from fleet.bundle_keys import BundleKeyError, TrustedKeys, load_private_key
from fleet.bundle_verifier import BundleVerifier
from runtime.shared.errors import ContentError

from .draft_check import check_draft, write_pack

_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class BuiltBundle:
    path: Path
    kind: str
    version: str
    key_id: str
    files: int
    size: int
    sha256: str


def safe_name(venue_id: str, version: str) -> str:
    venue = re.sub(r"[^A-Za-z0-9_.-]+", "-", venue_id or "pack").strip("-") or "pack"
    return f"content-{venue}-{version}.bundle"


def rights_record(data: dict[str, Any], owner: str, licence: str) -> str:
    """The pack's rights record: the venue's own (original) words, its owner and licence, checked by
    the same parser a kiosk uses at install."""
    import yaml

    from runtime.rights.record import RightsError, parse_record
    venue = data.get("venue") if isinstance(data.get("venue"), dict) else {}
    name = venue.get("name")
    name = (name.get("en") or next(iter(name.values()), "")) if isinstance(name, dict) else str(name or "")
    raw = {"format": "edge-avatar-rights/1",
           "asset": {"id": f"{venue.get('id', 'pack')}-content", "kind": "content",
                     "name": name or str(venue.get("id", "pack"))},
           "owner": owner.strip(), "origin": "original", "licence": licence.strip(),
           "source": "written in the edge-avatar console's content editor"}
    if not raw["owner"]:
        raise ContentError("rights.owner: expected who holds the rights to the venue's answers")
    if not raw["licence"]:
        raise ContentError("rights.licence: expected the licence of the venue's answers")
    try:
        parse_record(raw)
    except RightsError as err:
        raise ContentError(f"rights: {err}") from None
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


def build_content_bundle(data: dict[str, Any], version: str, key_pem: bytes, out_dir: Path,
                         owner: str = "", licence: str = "", now: dt.datetime | None = None,
                         valid_days: float = 365.0) -> BuiltBundle:
    """Sign the draft into OUT_DIR/content-VENUE-VERSION.bundle; ContentError naming the field on bad input."""
    if not _VERSION.match(version or ""):
        raise ContentError(f"version: expected MAJOR.MINOR.PATCH like 1.4.0, got {version!r}")
    if not key_pem or b"PRIVATE KEY" not in key_pem:
        raise ContentError("key: expected the Ed25519 private key file (PEM) made by `edge-avatar bundle keygen`")
    record = rights_record(data, owner, licence)
    problems = check_draft(data)
    if problems:
        raise ContentError(f"the draft has {len(problems)} problem(s) `content check` reports; fix them first "
                           f"(first: {problems[0].field}: {problems[0].message})")
    venue = str((data.get("venue") or {}).get("id", "pack"))
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / safe_name(venue, version)
    with tempfile.TemporaryDirectory(prefix="console-bundle-") as tmp:
        key_path = Path(tmp) / "signing.key"
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key_pem)
        try:
            key = load_private_key(key_path)
        except BundleKeyError as err:   # it names the temporary file: say what the admin gave
            raise ContentError(f"key: expected an Ed25519 private key in PEM ({type(err).__name__})") from None
        folder = write_pack(data, Path(tmp) / "pack")
        (folder / "rights.yaml").write_text(record, encoding="utf-8")
        manifest = build_bundle(folder, "content", version, key_path, out, valid_days, now=now)
    when = now or dt.datetime.now(dt.timezone.utc)
    BundleVerifier(TrustedKeys([key.public_key()])).verify(out, when)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return BuiltBundle(out, manifest.kind, manifest.version, manifest.key_id, len(manifest.files),
                       out.stat().st_size, digest)
