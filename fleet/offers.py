"""An offer from a bundle file: its id (sha256), kind and version read from the manifest (not
trusted: the devices verify), and the sha256 of every chunk. Pure apart from reading the file."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

from .bundle_manifest import MANIFEST, parse_manifest
from .errors import FleetError
from .messages import Offer

CHUNK_SIZE = 256 * 1024


def read_offer_info(bundle: Path) -> tuple[str, str]:
    """(kind, version) from a bundle's manifest, without trusting it (the devices verify)."""
    try:
        with tarfile.open(bundle, "r:") as tar:
            m = parse_manifest(tar.extractfile(tar.getmember(MANIFEST)).read())
    except (OSError, KeyError, tarfile.TarError) as err:
        raise FleetError(f"{bundle}: not a bundle made by `edge-avatar bundle build` ({err})") from None
    return m.kind, m.version


def make_offer(bundle: Path, chunk_size: int = CHUNK_SIZE, url: str | None = None) -> tuple[Offer, list[bytes] | None]:
    kind, version = read_offer_info(bundle)
    data = Path(bundle).read_bytes()
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)]
    offer = Offer(hashlib.sha256(data).hexdigest(), kind, version, len(data), chunk_size,
                  tuple(hashlib.sha256(c).hexdigest() for c in chunks), url)
    return offer, chunks
