"""`edge-avatar bundle build`: a folder -> a signed bundle (tar: manifest, signature, payload)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import tarfile
from pathlib import Path

from runtime.rights.signature import RECORD, RECORD_SIG, encode_signature
from runtime.shared.durable_files import sha256_file

from .bundle_keys import key_id, load_private_key
from .bundle_manifest import KINDS, MANIFEST, PAYLOAD, SIGNATURE, FileEntry, Manifest
from .errors import FleetError
from .versions import VersionError, parse_version


def build_bundle(src: Path, kind: str, version: str, key_path: Path, out: Path,
                 valid_days: float = 365.0, min_runtime: str = "0.1.0",
                 now: dt.datetime | None = None, sign_rights: bool = True) -> Manifest:
    """Bundle SRC. A rights record (``rights.yaml``) without its ``rights.sig`` is signed with the
    bundle key (the fleet's content key) unless `sign_rights` is False; one the rights holder
    signed is kept as it is."""
    src = Path(src)
    if kind not in KINDS:
        raise FleetError(f"--kind {kind!r}: expected one of {', '.join(KINDS)}")
    try:
        parse_version(version)
    except VersionError as err:
        raise FleetError(f"--version: {err}") from None
    if not src.is_dir():
        raise FleetError(f"{src}: expected a folder to bundle")
    files = []
    for path in sorted(p for p in src.rglob("*") if not p.is_dir()):
        if path.is_symlink() or not path.is_file():
            raise FleetError(f"{path}: only regular files can go in a bundle (links and devices cannot)")
        files.append(FileEntry(path.relative_to(src).as_posix(), sha256_file(path), path.stat().st_size))
    if not files:
        raise FleetError(f"{src}: the folder is empty")
    key = load_private_key(key_path)
    extra: dict[str, bytes] = {}
    if sign_rights and (src / RECORD).is_file() and not (src / RECORD_SIG).exists():
        extra[RECORD_SIG] = encode_signature(key_id(key.public_key()), key.sign((src / RECORD).read_bytes()))
        files.append(FileEntry(RECORD_SIG, hashlib.sha256(extra[RECORD_SIG]).hexdigest(), len(extra[RECORD_SIG])))
    now = now or dt.datetime.now(dt.timezone.utc)
    manifest = Manifest(kind, version, now, now + dt.timedelta(days=valid_days), min_runtime,
                        key_id(key.public_key()), tuple(files))
    body = manifest.encode()
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        _add_bytes(tar, MANIFEST, body, now)
        _add_bytes(tar, SIGNATURE, key.sign(body), now)
        for rel, data in extra.items():
            _add_bytes(tar, PAYLOAD + rel, data, now)
        for f in files:
            if f.path in extra:
                continue
            info = tar.gettarinfo(str(src / f.path), arcname=PAYLOAD + f.path)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(src / f.path, "rb") as fh:
                tar.addfile(info, fh)
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, now: dt.datetime) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o644
    tar.addfile(info, io.BytesIO(data))
