"""Signed bundles: what a device accepts, and every reason it refuses one."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
import tarfile

import pytest

from fleet.bundle_builder import build_bundle
from fleet.bundle_keys import TrustedKeys, generate_keypair
from fleet.bundle_manifest import MANIFEST, SIGNATURE
from fleet.bundle_verifier import BundleLimits, BundleVerifier
from fleet.errors import BundleRejected
from fleet.versions import is_newer, parse_version
from tests.fleet_fixtures import NOW, keys, panel_bundle


def _reason(verifier, bundle, **kw):
    with pytest.raises(BundleRejected) as err:
        verifier.verify(bundle, kw.pop("now", NOW), **kw)
    return err.value.reason


def _rewrite(src, dst, edit):
    """Copy a bundle entry by entry, letting `edit(info, data)` change/drop/add entries."""
    with tarfile.open(src) as tin, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as tout:
        for info in tin.getmembers():
            data = tin.extractfile(info).read() if info.isreg() else None
            for out_info, out_data in edit(info, data):
                tout.addfile(out_info, io.BytesIO(out_data) if out_data is not None else None)
    return dst


def test_keygen_writes_a_private_key_nobody_else_can_read(tmp_path):
    key, pub = generate_keypair(tmp_path / "admin")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert b"PUBLIC KEY" in pub.read_bytes()
    with pytest.raises(Exception, match="already exists"):
        generate_keypair(tmp_path / "admin")


def test_a_good_bundle_verifies_and_unpacks_exactly_its_files(tmp_path):
    key, pub, trusted = keys(tmp_path)
    bundle = panel_bundle(tmp_path, key, "1.2.0")
    out = tmp_path / "unpacked"
    out.mkdir()
    m = BundleVerifier(trusted).verify(bundle, NOW, installed_version="1.1.0", extract_to=out)
    assert (m.kind, m.version) == ("panel", "1.2.0")
    assert [p.name for p in out.iterdir()] == ["venue-panel.yaml"]
    assert "lobby panel v1.2.0" in (out / "venue-panel.yaml").read_text()


def test_key_rotation_two_pinned_keys_both_accepted(tmp_path):
    old_key, old_pub = generate_keypair(tmp_path / "old")
    new_key, new_pub = generate_keypair(tmp_path / "new")
    verifier = BundleVerifier(TrustedKeys.from_files([old_pub, new_pub]))
    assert verifier.verify(panel_bundle(tmp_path / "a", old_key, "1.0.0"), NOW).version == "1.0.0"
    assert verifier.verify(panel_bundle(tmp_path / "b", new_key, "1.1.0"), NOW).version == "1.1.0"


def test_every_rejection_reason(tmp_path):
    key, pub, trusted = keys(tmp_path)
    verifier = BundleVerifier(trusted)
    good = panel_bundle(tmp_path, key, "2.0.0")

    other_key, _ = generate_keypair(tmp_path / "intruder")
    assert _reason(verifier, panel_bundle(tmp_path / "x", other_key, "2.0.0")) == "untrusted-key"

    def flip_signature(info, data):
        if info.name == SIGNATURE:
            data = bytes([data[0] ^ 1]) + data[1:]
        yield info, data
    assert _reason(verifier, _rewrite(good, tmp_path / "badsig.bundle", flip_signature)) == "bad-signature"

    def drop_signature(info, data):
        if info.name != SIGNATURE:
            yield info, data
    assert _reason(verifier, _rewrite(good, tmp_path / "nosig.bundle", drop_signature)) == "no-signature"

    def tamper(info, data):
        if info.name.startswith("payload/"):
            data = data.replace(b"lobby", b"LOBBY")
        yield info, data
    assert _reason(verifier, _rewrite(good, tmp_path / "tampered.bundle", tamper)) == "tampered"

    def add_unlisted(info, data):
        yield info, data
        if info.name.startswith("payload/"):
            extra = tarfile.TarInfo("payload/extra.sh")
            extra.size = 4
            yield extra, b"rm -"
    assert _reason(verifier, _rewrite(good, tmp_path / "unlisted.bundle", add_unlisted)) == "tampered"

    expired = panel_bundle(tmp_path / "old", key, "2.0.0", valid_days=1)
    assert _reason(verifier, expired, now=NOW + dt.timedelta(days=2)) == "expired"

    assert _reason(verifier, good, installed_version="2.1.0") == "downgrade"
    assert _reason(verifier, good, installed_version="2.0.0") == "already-installed"

    def zip_slip(info, data):
        if info.name.startswith("payload/"):
            info.name = "payload/../../etc/cron.d/evil"
        yield info, data
    assert _reason(verifier, _rewrite(good, tmp_path / "slip.bundle", zip_slip)) == "unsafe-path"

    def symlink(info, data):
        yield info, data
        if info.name.startswith("payload/"):
            link = tarfile.TarInfo("payload/passwd")
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
            yield link, None
    assert _reason(verifier, _rewrite(good, tmp_path / "link.bundle", symlink)) == "unsafe-path"

    assert _reason(BundleVerifier(trusted, BundleLimits(max_bundle_bytes=1000)), good) == "too-large"
    assert _reason(verifier, good, expected_kind="voice") == "incompatible"
    newer_runtime = panel_bundle(tmp_path / "nr", key, "2.0.0", min_runtime="9.0.0")
    assert _reason(verifier, newer_runtime, runtime_version="0.1.0") == "incompatible"

    def no_manifest(info, data):
        if info.name != MANIFEST:
            yield info, data
    assert _reason(verifier, _rewrite(good, tmp_path / "nomani.bundle", no_manifest)) == "bad-manifest"
    (tmp_path / "junk.bundle").write_bytes(b"not a tar at all" * 100)
    assert _reason(verifier, tmp_path / "junk.bundle") == "bad-manifest"


def test_builder_refuses_links_and_bad_versions(tmp_path):
    key, _, _ = keys(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.yaml").write_text("x: 1")
    os.symlink("/etc/passwd", src / "passwd")
    with pytest.raises(Exception, match="only regular files"):
        build_bundle(src, "config", "1.0.0", key, tmp_path / "o.bundle")
    os.unlink(src / "passwd")
    with pytest.raises(Exception, match="version"):
        build_bundle(src, "config", "one", key, tmp_path / "o.bundle")


def test_version_order():
    assert parse_version("1.10.0") > parse_version("1.9.9")
    assert parse_version("1.5.0-rc1") < parse_version("1.5.0")
    assert parse_version("2026.11.25") > parse_version("2026.2.1")
    assert is_newer("1.0.1", "1.0") and not is_newer("1.0", "1.0.0")
