"""Signed rights records and revocations (pure: bytes in, verdicts out).

A record is signed in ``rights.sig`` beside ``rights.yaml``: JSON ``{"key_id", "signature"}``, an
Ed25519 signature over the exact bytes of ``rights.yaml``, by the rights holder's key or the fleet's
content key. A revocation is a small JSON document signed the same way. Checking a signature is
injected (``Verify``: key id, signature, data -> True / False / None for an unknown key), so this
folder needs no key store of its own.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Callable

from .record import RightsError, iso

RECORD, RECORD_SIG = "rights.yaml", "rights.sig"
REVOCATION_FORMAT = "edge-avatar-revocation/1"
Verify = Callable[[str, bytes, bytes], "bool | None"]


def encode_signature(key_id: str, signature: bytes) -> bytes:
    return json.dumps({"key_id": key_id, "signature": base64.b64encode(signature).decode()},
                      sort_keys=True).encode() + b"\n"


def decode_signature(data: bytes, where: str) -> tuple[str, bytes]:
    try:
        raw = json.loads(data)
        return str(raw["key_id"]), base64.b64decode(raw["signature"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise RightsError(f"{where}: expected JSON {{key_id, signature (base64)}}") from None


def check_signature(body: bytes, sig: bytes | None, verify: Verify, where: str) -> str:
    """The signer's key id; raises RightsError naming what is wrong (no signature, unknown key, bad)."""
    if sig is None:
        raise RightsError(f"{where}: not signed (no {RECORD_SIG}): a rights record must be signed by the "
                          f"rights holder's key or the fleet's content key")
    kid, raw = decode_signature(sig, f"{where} {RECORD_SIG}")
    verdict = verify(kid, raw, body)
    if verdict is None:
        raise RightsError(f"{where}: signed by key {kid}, which this kiosk does not trust")
    if not verdict:
        raise RightsError(f"{where}: {RECORD_SIG} does not match the record for key {kid}")
    return kid


@dataclass(frozen=True)
class Revocation:
    asset_id: str
    reason: str
    revoked_at: dt.datetime

    def encode(self) -> bytes:
        return json.dumps({"format": REVOCATION_FORMAT, "asset_id": self.asset_id, "reason": self.reason,
                           "revoked_at": iso(self.revoked_at)}, sort_keys=True, separators=(",", ":")).encode()


def parse_revocation(document: bytes, signature: bytes, verify: Verify) -> Revocation:
    """A signed revocation (its signature checked first); raises RightsError naming the field."""
    check_signature(document, signature, verify, "revocation")
    try:
        raw = json.loads(document)
    except ValueError:
        raise RightsError("revocation: expected a JSON document") from None
    if not isinstance(raw, dict) or raw.get("format") != REVOCATION_FORMAT:
        raise RightsError(f"revocation: format: expected {REVOCATION_FORMAT!r}")
    asset_id, reason = raw.get("asset_id"), raw.get("reason")
    if not isinstance(asset_id, str) or not asset_id:
        raise RightsError("revocation: asset_id: expected the revoked asset's id")
    try:
        at = dt.datetime.fromisoformat(str(raw.get("revoked_at")).replace("Z", "+00:00"))
    except ValueError:
        raise RightsError("revocation: revoked_at: expected an ISO 8601 UTC time") from None
    return Revocation(asset_id, str(reason or ""), at)
