"""Uploaded bundles: stored under DATA/bundles, verified with the devices' own verifier
(fleet.bundle_verifier, the code `edge-avatar bundle verify` runs) against the admin public keys the
console trusts (DATA/trusted-keys/*.pub, or --trust-key). The console never needs the private key."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from fleet.bundle_keys import BundleKeyError, TrustedKeys
from fleet.bundle_verifier import BundleVerifier
from fleet.errors import BundleRejected, FleetError
from runtime import __version__

BUNDLES = "bundles"
TRUSTED = "trusted-keys"


@dataclass(frozen=True)
class CheckedBundle:
    path: Path
    kind: str
    version: str
    key_id: str
    files: int
    size: int


class BundleProblem(ValueError):
    """What is wrong with an uploaded bundle, in words for the form field."""


def trusted_keys(data_dir: Path, extra: tuple[Path, ...] = ()) -> TrustedKeys:
    paths = sorted((data_dir / TRUSTED).glob("*.pub")) + list(extra)
    if not paths:
        raise BundleProblem(f"the console trusts no signing key yet: put the admin public key (.pub from "
                            f"`edge-avatar bundle keygen`) in {data_dir / TRUSTED}/")
    try:
        return TrustedKeys.from_files(paths)
    except BundleKeyError as err:
        raise BundleProblem(str(err)) from None


def store_upload(data_dir: Path, filename: str, data: bytes) -> Path:
    folder = data_dir / BUNDLES
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename or "upload").name)[:80] or "upload"
    path = folder / f"{hashlib.sha256(data).hexdigest()[:12]}-{safe}"
    path.write_bytes(data)
    return path


def stored(data_dir: Path, name: str) -> Path:
    """A bundle already in DATA/bundles by its file name (the Content area hands one over this way)."""
    path = (data_dir / BUNDLES / name)
    if Path(name).name != name or not path.is_file():
        raise BundleProblem(f"no bundle {name!r} in {data_dir / BUNDLES}")
    return path


def check_bundle(path: Path, trusted: TrustedKeys, now: dt.datetime) -> CheckedBundle:
    try:
        m = BundleVerifier(trusted).verify(path, now, runtime_version=__version__)
    except BundleRejected as err:
        raise BundleProblem(_words(err)) from None
    except FleetError as err:
        raise BundleProblem(str(err)) from None
    return CheckedBundle(path, m.kind, m.version, m.key_id, len(m.files), path.stat().st_size)


def _words(err: BundleRejected) -> str:
    reason = getattr(err, "reason", "")
    lead = {"bad-signature": "tampered or badly signed: the manifest signature does not verify",
            "untrusted-key": "signed by a key this console does not trust",
            "no-signature": "unsigned: the bundle has no manifest signature",
            "tampered": "tampered: a file differs from the signed manifest",
            "bad-manifest": "not a signed bundle made by `edge-avatar bundle build`"}.get(reason)
    return f"{lead} ({err})" if lead else f"bundle refused: {err}"
