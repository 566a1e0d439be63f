"""BundleVerifier: everything a device checks before a bundle may touch its disk.

Order matters: size and archive shape first (cheap, before trusting anything), then the
Ed25519 signature over the manifest bytes, then what the signed manifest says (kind,
expiry, runtime, anti-downgrade, limits), and last the payload against the manifest,
hashing each file as it is (optionally) written into a staging folder, and then the asset's
signed rights record (``fleet/rights_check.py``: consent in scope and in time, not revoked). Every
refusal is a
``BundleRejected`` with a reason from ``errors.REJECTION_REASONS``. ``now`` is passed in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import posixpath
import tarfile
from dataclasses import dataclass
from pathlib import Path

from .bundle_keys import TrustedKeys
from .bundle_manifest import MANIFEST, PAYLOAD, SIGNATURE, Manifest, parse_manifest
from .errors import BundleRejected
from .rights_check import RightsPolicy, check_bundle_rights
from .versions import parse_version


@dataclass(frozen=True)
class BundleLimits:
    max_bundle_bytes: int = 2 << 30
    max_unpacked_bytes: int = 4 << 30
    max_files: int = 20000
    max_manifest_bytes: int = 4 << 20


def safe_member_path(name: str) -> bool:
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        return False
    norm = posixpath.normpath(name)
    return not (norm.startswith("../") or norm == ".." or "/../" in f"/{name}/")


class BundleVerifier:
    def __init__(self, trusted: TrustedKeys, limits: BundleLimits = BundleLimits(),
                 rights: RightsPolicy = RightsPolicy()):
        self.trusted = trusted
        self.limits = limits
        self.rights = rights

    def verify(self, path: Path, now: dt.datetime, installed_version: str | None = None,
               runtime_version: str = "0.1.0", expected_kind: str | None = None,
               extract_to: Path | None = None) -> Manifest:
        size = os.path.getsize(path)
        if size > self.limits.max_bundle_bytes:
            raise BundleRejected("too-large", f"{size} bytes; this device takes at most "
                                              f"{self.limits.max_bundle_bytes}")
        try:
            tar = tarfile.open(path, "r:")
        except (tarfile.TarError, OSError) as err:
            raise BundleRejected("bad-manifest", f"{path}: not a bundle archive ({err})") from None
        with tar:
            try:
                members = tar.getmembers()
            except tarfile.TarError as err:
                raise BundleRejected("bad-manifest", f"{path}: damaged archive ({err})") from None
            if len(members) > self.limits.max_files + 2:
                raise BundleRejected("too-large", f"{len(members)} entries; at most {self.limits.max_files}")
            by_name = {}
            for m in members:
                if not safe_member_path(m.name):
                    raise BundleRejected("unsafe-path", f"entry {m.name!r} escapes the bundle")
                if m.issym() or m.islnk():
                    raise BundleRejected("unsafe-path", f"entry {m.name!r} is a link (to {m.linkname!r})")
                if not (m.isreg() or m.isdir()):
                    raise BundleRejected("unsafe-path", f"entry {m.name!r} is not a regular file")
                if m.name in by_name:
                    raise BundleRejected("tampered", f"entry {m.name!r} appears twice")
                if m.isreg():
                    by_name[m.name] = m
            manifest = self._signed_manifest(tar, by_name)
            self._check_claims(manifest, now, installed_version, runtime_version, expected_kind)
            self._check_payload(tar, by_name, manifest, extract_to)

            def read(rel: str) -> bytes | None:
                member = by_name.get(PAYLOAD + rel)
                return tar.extractfile(member).read() if member is not None else None
            check_bundle_rights(manifest.kind, read, self.trusted, self.rights, now)
        return manifest

    def _signed_manifest(self, tar: tarfile.TarFile, by_name: dict) -> Manifest:
        if MANIFEST not in by_name:
            raise BundleRejected("bad-manifest", f"no {MANIFEST} in the bundle")
        if SIGNATURE not in by_name:
            raise BundleRejected("no-signature", f"no {SIGNATURE} in the bundle")
        if by_name[MANIFEST].size > self.limits.max_manifest_bytes:
            raise BundleRejected("too-large", f"{MANIFEST} is {by_name[MANIFEST].size} bytes")
        body = tar.extractfile(by_name[MANIFEST]).read()
        signature = tar.extractfile(by_name[SIGNATURE]).read(128)
        manifest = parse_manifest(body)
        verdict = self.trusted.verify(manifest.key_id, signature, body)
        if verdict is None:
            raise BundleRejected("untrusted-key", f"key {manifest.key_id} is not one of the pinned keys "
                                                  f"({', '.join(self.trusted.ids)})")
        if not verdict:
            raise BundleRejected("bad-signature", f"{SIGNATURE} does not match {MANIFEST} "
                                                  f"for key {manifest.key_id}")
        return manifest

    def _check_claims(self, m: Manifest, now: dt.datetime, installed: str | None,
                      runtime_version: str, expected_kind: str | None) -> None:
        if expected_kind and m.kind != expected_kind:
            raise BundleRejected("incompatible", f"a {m.kind} bundle offered as {expected_kind}")
        if now >= m.expires:
            raise BundleRejected("expired", f"{m.kind} {m.version} expired {m.expires.isoformat()}")
        if parse_version(m.min_runtime) > parse_version(runtime_version):
            raise BundleRejected("incompatible", f"needs runtime {m.min_runtime}, this is {runtime_version}")
        if installed is not None:
            if parse_version(m.version) == parse_version(installed):
                raise BundleRejected("already-installed", f"{m.kind} {m.version} is installed")
            if parse_version(m.version) < parse_version(installed):
                raise BundleRejected("downgrade", f"{m.kind} {m.version} is older than the installed "
                                                  f"{installed}")
        if len(m.files) > self.limits.max_files or m.total_size > self.limits.max_unpacked_bytes:
            raise BundleRejected("too-large", f"{len(m.files)} files, {m.total_size} bytes unpacked; at most "
                                              f"{self.limits.max_files} / {self.limits.max_unpacked_bytes}")
        for f in m.files:
            if not safe_member_path(f.path):
                raise BundleRejected("unsafe-path", f"manifest path {f.path!r} escapes the bundle")

    def _check_payload(self, tar: tarfile.TarFile, by_name: dict, m: Manifest,
                       extract_to: Path | None) -> None:
        listed = {PAYLOAD + f.path: f for f in m.files}
        unlisted = sorted(set(by_name) - set(listed) - {MANIFEST, SIGNATURE})
        if unlisted:
            raise BundleRejected("tampered", f"{unlisted[0]} is not in the signed manifest")
        for name, entry in listed.items():
            member = by_name.get(name)
            if member is None:
                raise BundleRejected("tampered", f"{name} is in the manifest but not in the bundle")
            if member.size != entry.size:
                raise BundleRejected("tampered", f"{name}: {member.size} bytes, manifest says {entry.size}")
            digest = _copy_hashing(tar.extractfile(member), _target(extract_to, entry.path))
            if digest != entry.sha256:
                raise BundleRejected("tampered", f"{name}: sha256 {digest[:12]}…, manifest says "
                                                 f"{entry.sha256[:12]}…")


def _target(root: Path | None, rel: str) -> Path | None:
    if root is None:
        return None
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise BundleRejected("unsafe-path", f"{rel!r} resolves outside the staging folder")
    return target


def _copy_hashing(src, target: Path | None) -> str:
    h = hashlib.sha256()
    out = None
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        out = open(target, "xb")
    try:
        for block in iter(lambda: src.read(1 << 20), b""):
            h.update(block)
            if out:
                out.write(block)
        if out:
            out.flush()
            os.fsync(out.fileno())
    finally:
        if out:
            out.close()
    return h.hexdigest()
