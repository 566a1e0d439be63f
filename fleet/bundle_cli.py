"""`edge-avatar bundle keygen|build|verify`."""

from __future__ import annotations

import datetime as dt

from .bundle_builder import build_bundle
from .bundle_keys import TrustedKeys, generate_keypair
from .bundle_verifier import BundleVerifier


def keygen(args) -> int:
    key, pub = generate_keypair(args.out)
    print(f"private key: {key} (mode 0600: keep it off the kiosks)\npublic key:  {pub} (pin on each kiosk: "
          f"--trust-key {pub})")
    return 0


def build(args) -> int:
    if args.kind == "runtime":
        from .runtime_bundle import build_runtime_bundle
        m = build_runtime_bundle(args.dir, args.version, args.key, args.out, args.valid_days, args.min_runtime,
                                 tuple(getattr(args, "with_wheel", ()) or ()))
    else:
        m = build_bundle(args.dir, args.kind, args.version, args.key, args.out, args.valid_days, args.min_runtime)
    print(f"{args.out}: {m.kind} {m.version}, {len(m.files)} files, {m.total_size} bytes, signed by key "
          f"{m.key_id}, expires {m.expires:%Y-%m-%d}")
    return 0


def verify(args) -> int:
    from runtime import __version__
    from runtime.rights.consent import Site

    from .bundle_keys import load_public_key
    from .rights_check import RightsPolicy
    policy = RightsPolicy(Site(args.site, args.region), tuple(load_public_key(p) for p in args.rights_key))
    m = BundleVerifier(TrustedKeys.from_files(args.trust_key), rights=policy).verify(
        args.bundle, dt.datetime.now(dt.timezone.utc), runtime_version=__version__)
    print(f"{args.bundle}: OK, {m.kind} {m.version}, {len(m.files)} files, key {m.key_id}")
    return 0
