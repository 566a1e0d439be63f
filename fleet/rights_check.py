"""The rights check of a bundle, part of verifying it: a character, voice, model or content bundle
must carry a signed rights record (``payload/rights.yaml`` + ``payload/rights.sig``) whose consent
covers this kiosk, now, and whose asset no admin has revoked. Pure but for reading the
revocations file; the record's logic is ``runtime.rights``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from runtime.rights.consent import Site, Standing, judge
from runtime.rights.files import parse_record_bytes, read_revocations
from runtime.rights.record import RightsError, RightsRecord
from runtime.rights.signature import RECORD, RECORD_SIG, decode_signature

from .bundle_keys import TrustedKeys
from .errors import BundleRejected

RIGHTS_KINDS = ("content", "avatar", "voice", "asr-model", "tflite-model")
_MODEL_KINDS = ("asr-model", "tflite-model")
_REASON = {Standing.OUT_OF_SCOPE: "rights-out-of-scope", Standing.EXPIRED: "rights-expired",
           Standing.NOT_YET: "rights-expired", Standing.REVOKED: "rights-revoked"}


@dataclass(frozen=True)
class RightsPolicy:
    """What a device checks rights records against: its site, the rights holders' keys it pins
    (beside the bundle keys) and the folder holding the revocations it accepted."""
    site: Site = Site()
    holder_keys: tuple = field(default=())          # Ed25519 public keys of rights holders
    data_dir: Path | None = None

    def revoked(self) -> frozenset[str]:
        return frozenset(read_revocations(self.data_dir)) if self.data_dir else frozenset()


def check_bundle_rights(kind: str, read: Callable[[str], bytes | None], trusted: TrustedKeys,
                        policy: RightsPolicy, now: dt.datetime) -> RightsRecord | None:
    """`read(path)` gives a payload file's bytes (None if absent). Raises BundleRejected."""
    if kind not in RIGHTS_KINDS:
        return None
    body, sig = read(RECORD), read(RECORD_SIG)
    if body is None:
        raise BundleRejected("rights-missing", f"a {kind} bundle must carry payload/{RECORD} "
                                               f"(whose asset it is, its licence and any consent)")
    if sig is None:
        raise BundleRejected("rights-unsigned", f"payload/{RECORD} has no payload/{RECORD_SIG}: it must be "
                                                f"signed by the rights holder's key or the fleet's content key")
    try:
        kid, raw_sig = decode_signature(sig, f"payload/{RECORD_SIG}")
        record = parse_record_bytes(body, f"payload/{RECORD}")
    except RightsError as err:
        raise BundleRejected("rights-invalid", str(err)) from None
    keys = TrustedKeys(list(policy.holder_keys)) if policy.holder_keys else None
    verdict = trusted.verify(kid, raw_sig, body)
    if verdict is None and keys is not None:
        verdict = keys.verify(kid, raw_sig, body)
    if verdict is None:
        raise BundleRejected("rights-unsigned", f"payload/{RECORD_SIG}: key {kid} is neither a pinned bundle key "
                                                f"nor a pinned rights holder's key")
    if not verdict:
        raise BundleRejected("rights-unsigned", f"payload/{RECORD_SIG} does not match payload/{RECORD} "
                                                f"for key {kid}")
    if record.kind != kind and not (record.kind == "model" and kind in _MODEL_KINDS):
        raise BundleRejected("rights-invalid", f"payload/{RECORD}: asset.kind: expected {kind!r} "
                                               f"(the bundle's kind), got {record.kind!r}")
    outcome = judge(record, policy.site, now, policy.revoked())
    if not outcome.allowed:
        raise BundleRejected(_REASON[outcome.standing], outcome.reason)
    return record


def rights_site(identity, region: str = "") -> Site:
    """The venue a consent must cover: the device's site, else its first group."""
    return Site(identity.site or (identity.groups[0] if identity.groups else ""), region)


def accept_revocation(args: dict, trusted: TrustedKeys, data_dir: Path) -> tuple[int, str, dict | None]:
    """The `revoke` command: a revocation document signed by a pinned admin key, kept on disk
    (``DATA/revocations.json``) so it survives restarts; the kiosk drops the asset within a second."""
    from runtime.rights.files import add_revocation
    from runtime.rights.record import iso
    from runtime.rights.signature import parse_revocation
    document, signature = args.get("document"), args.get("signature")
    if not isinstance(document, str) or not isinstance(signature, str):
        return 400, "revoke: args: expected {document, signature} (see edge-avatar fleet revoke)", None
    try:
        rev = parse_revocation(document.encode(), signature.encode(), trusted.verify)
    except RightsError as err:
        return 403, f"revoke: {err}", None
    add_revocation(data_dir, rev.asset_id, {"reason": rev.reason, "revoked_at": iso(rev.revoked_at)})
    return 200, f"{rev.asset_id} revoked", {"asset_id": rev.asset_id}
