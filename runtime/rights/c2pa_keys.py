"""C2PA signing credentials for a kiosk: an X.509 chain the c2pa library accepts (a CA, and a
leaf for the device with digitalSignature and the emailProtection purpose; ES256). A fleet issues
the leaf from its own CA (``make_ca`` once, ``issue`` per device); ``edge-avatar rights
c2pa-keygen`` does both for a trial or a test. Verifiers that do not pin the CA say "untrusted"."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .record import RightsError

PEM = serialization.Encoding.PEM


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)])


def _write_key(path: Path, key) -> None:
    pem = key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def make_ca(folder: Path, org: str, now: dt.datetime, days: int = 3650) -> Path:
    """FOLDER/ca.pem and ca.key (0600): the fleet's C2PA issuing CA."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "ca.key").exists():
        raise RightsError(f"{folder / 'ca.key'}: already exists; not overwriting a CA key")
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(f"{org} C2PA CA", org)).issuer_name(_name(f"{org} C2PA CA", org))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256()))
    _write_key(folder / "ca.key", key)
    (folder / "ca.pem").write_bytes(cert.public_bytes(PEM))
    return folder / "ca.pem"


def issue(ca_folder: Path, out: Path, device: str, now: dt.datetime, days: int = 825) -> Path:
    """OUT/chain.pem (leaf, then the CA) and OUT/key.pem (0600) for `device`, issued by the CA."""
    ca_folder, out = Path(ca_folder), Path(out)
    ca_key = serialization.load_pem_private_key((ca_folder / "ca.key").read_bytes(), None)
    ca = x509.load_pem_x509_certificate((ca_folder / "ca.pem").read_bytes())
    org = ca.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(_name(device, org)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(ca_key, hashes.SHA256()))
    out.mkdir(parents=True, exist_ok=True)
    _write_key(out / "key.pem", key)
    (out / "chain.pem").write_bytes(leaf.public_bytes(PEM) + ca.public_bytes(PEM))
    return out / "chain.pem"
