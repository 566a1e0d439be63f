"""Ed25519 signing keys for bundles (``cryptography``): keygen, load, key ids."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import FleetError


class BundleKeyError(FleetError):
    """A key file that is missing or not an Ed25519 key (message names the file)."""


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_keypair(out: Path) -> tuple[Path, Path]:
    """Write ``OUT.key`` (PKCS#8 PEM, mode 0600, created that way: never world-readable) and ``OUT.pub``."""
    private = Ed25519PrivateKey.generate()
    key_path, pub_path = Path(f"{out}.key"), Path(f"{out}.pub")
    if key_path.exists():
        raise BundleKeyError(f"{key_path}: already exists; not overwriting a signing key")
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    pub_path.write_bytes(private.public_key().public_bytes(serialization.Encoding.PEM,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo))
    return key_path, pub_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as err:
        raise BundleKeyError(f"{path}: cannot read an Ed25519 private key ({err})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BundleKeyError(f"{path}: expected an Ed25519 private key, got {type(key).__name__}")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as err:
        raise BundleKeyError(f"{path}: cannot read an Ed25519 public key ({err})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BundleKeyError(f"{path}: expected an Ed25519 public key, got {type(key).__name__}")
    return key


class TrustedKeys:
    """The admin public keys a device pins (several at once, so keys can be rotated)."""

    def __init__(self, keys: list[Ed25519PublicKey]):
        if not keys:
            raise BundleKeyError("no trusted bundle keys: pass --trust-key FILE.pub (one or more)")
        self._by_id = {key_id(k): k for k in keys}

    @classmethod
    def from_files(cls, paths: list[Path]) -> "TrustedKeys":
        return cls([load_public_key(p) for p in paths])

    @property
    def ids(self) -> list[str]:
        return sorted(self._by_id)

    def verify(self, kid: str, signature: bytes, data: bytes) -> bool | None:
        """True if good, False if the signature is wrong, None if the key is not trusted."""
        key = self._by_id.get(kid)
        if key is None:
            return None
        try:
            key.verify(signature, data)
            return True
        except InvalidSignature:
            return False
