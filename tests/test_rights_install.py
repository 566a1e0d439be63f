"""Install refusals for rights records, through the real verifier and installer (like the other
refusals in test_fleet_installer.py): a character bundle without a record, unsigned, signed by a
key nobody pinned, outside the kiosk's venue, expired or revoked is refused with its reason; one
inside its consent installs."""

from __future__ import annotations

import datetime as dt

import pytest

from fleet.bundle_builder import build_bundle
from fleet.bundle_keys import generate_keypair, key_id, load_private_key
from fleet.bundle_verifier import BundleVerifier
from fleet.errors import BundleRejected
from fleet.installer import BundleInstaller
from fleet.rights_check import RightsPolicy, accept_revocation
from runtime.rights.consent import Site
from runtime.rights.signature import Revocation, encode_signature
from tests.fleet_fixtures import NOW, RecordingHealthCheck, keys
from tests.rights_fixtures import person_record, write_record

UNTIL = NOW + dt.timedelta(minutes=30)


def _bundle(tmp_path, key, record: str | None, version="1.0.0", **kw):
    src = tmp_path / f"src-{version}"
    src.mkdir(parents=True, exist_ok=True)
    (src / "rig.yaml").write_text("name: Lin\n")
    if record is not None:
        write_record(src, record)
    out = tmp_path / f"avatar-{version}.bundle"
    build_bundle(src, "avatar", version, key, out, now=NOW - dt.timedelta(hours=1), **kw)
    return out


def _installer(tmp_path, trusted, venue="mall-a", holder_keys=()):
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    policy = RightsPolicy(Site(venue, "CN-SH"), holder_keys, data)
    return BundleInstaller(data, BundleVerifier(trusted, rights=policy), RecordingHealthCheck())


def _refusal(installer, bundle, now=NOW) -> BundleRejected:
    with pytest.raises(BundleRejected) as err:
        installer.install(bundle, bundle.name.ljust(64, "0"), "avatar", now)
    return err.value


def test_a_real_persons_character_inside_its_consent_installs(tmp_path):
    key, _, trusted = keys(tmp_path)
    installer = _installer(tmp_path, trusted)
    result = installer.install(_bundle(tmp_path, key, person_record(UNTIL)), "a" * 64, "avatar", NOW)
    assert result.state == "committed"
    assert (installer.current_path("avatar") / "rights.sig").is_file()     # signed by the fleet's content key


@pytest.mark.parametrize("case, reason, words", [
    ("missing", "rights-missing", "payload/rights.yaml"),
    ("unsigned", "rights-unsigned", "no payload/rights.sig"),
    ("stranger", "rights-unsigned", "neither a pinned bundle key nor a pinned rights holder's key"),
    ("other-venue", "rights-out-of-scope", "covers venues mall-b, not this kiosk's 'mall-a'"),
    ("other-region", "rights-out-of-scope", "covers regions CN-BJ, not this kiosk's 'CN-SH'"),
    ("expired", "rights-expired", "ended 2026-11-25T11:59:00Z"),
    ("malformed", "rights-invalid", "consent.valid_until: expected an ISO 8601 time"),
])
def test_install_refuses_a_record_that_is_missing_unsigned_out_of_scope_or_expired(tmp_path, case, reason, words):
    key, _, trusted = keys(tmp_path)
    record, kw = person_record(UNTIL), {}
    if case == "missing":
        record = None
    elif case == "unsigned":
        kw["sign_rights"] = False
    elif case == "other-venue":
        record = person_record(UNTIL, venues=("mall-b",))
    elif case == "other-region":
        record = person_record(UNTIL, regions=("CN-BJ",))
    elif case == "expired":
        record = person_record(NOW - dt.timedelta(minutes=1))
    elif case == "malformed":
        record = record.replace("valid_until: 2026", "valid_until: soon-2026")
    src_sig = None
    if case == "stranger":      # signed by someone's key that this kiosk does not pin
        stranger, _ = generate_keypair(tmp_path / "stranger")
        sk = load_private_key(stranger)
        src_sig = encode_signature(key_id(sk.public_key()), sk.sign(record.encode()))
        (tmp_path / "src-1.0.0").mkdir()
        (tmp_path / "src-1.0.0" / "rights.sig").write_bytes(src_sig)
    err = _refusal(_installer(tmp_path, trusted), _bundle(tmp_path, key, record, **kw))
    assert err.reason == reason
    assert words in err.detail, err.detail


def test_a_rights_holders_own_key_can_sign_the_record(tmp_path):
    key, _, trusted = keys(tmp_path)
    holder, holder_pub = generate_keypair(tmp_path / "holder")
    record = person_record(UNTIL)
    hk = load_private_key(holder)
    src = write_record(tmp_path / "src-1.0.0", record)
    (src / "rights.sig").write_bytes(encode_signature(key_id(hk.public_key()), hk.sign(record.encode())))
    bundle = _bundle(tmp_path, key, record)
    assert _refusal(_installer(tmp_path, trusted), bundle).reason == "rights-unsigned"   # not pinned
    pinned = _installer(tmp_path, trusted, holder_keys=(hk.public_key(),))
    assert pinned.install(bundle, "h" * 64, "avatar", NOW).state == "committed"


def test_a_signed_revocation_is_kept_and_refuses_the_asset_from_then_on(tmp_path):
    key, _, trusted = keys(tmp_path)
    admin = load_private_key(key)
    doc = Revocation("lin-xiaoyu-character", "contract withdrawn", NOW).encode()
    forged = encode_signature(key_id(admin.public_key()), admin.sign(doc + b" "))
    data = tmp_path / "data"
    data.mkdir()
    assert accept_revocation({"document": doc.decode(), "signature": forged.decode()}, trusted, data)[0] == 403
    good = encode_signature(key_id(admin.public_key()), admin.sign(doc))
    assert accept_revocation({"document": doc.decode(), "signature": good.decode()}, trusted, data)[0] == 200
    err = _refusal(_installer(tmp_path, trusted), _bundle(tmp_path, key, person_record(UNTIL)))
    assert err.reason == "rights-revoked" and "revoked by a fleet admin" in err.detail


def test_panel_and_config_bundles_need_no_rights_record(tmp_path):
    key, _, trusted = keys(tmp_path)
    src = tmp_path / "p"
    src.mkdir()
    (src / "x.yaml").write_text("a: 1\n")
    build_bundle(src, "config", "1.0.0", key, tmp_path / "c.bundle", now=NOW)
    assert BundleVerifier(trusted).verify(tmp_path / "c.bundle", NOW).kind == "config"


def test_bundle_verify_on_the_command_line_names_the_rights_refusal(tmp_path, capsys):
    from runtime.cli.main import main as cli_main
    key, pub, _ = keys(tmp_path)
    src = write_record(tmp_path / "lin", person_record(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)))
    (src / "rig.yaml").write_text("name: Lin\n")
    out = tmp_path / "lin.bundle"
    assert cli_main(["bundle", "build", str(src), "--kind", "avatar", "--version", "1.0.0", "--key", str(key),
                     "-o", str(out)]) == 0
    assert cli_main(["bundle", "verify", str(out), "--trust-key", str(pub), "--site", "mall-a"]) == 0
    assert cli_main(["bundle", "verify", str(out), "--trust-key", str(pub), "--site", "mall-b"]) == 2
    assert "rights-out-of-scope" in capsys.readouterr().err
