"""`edge-avatar rights report|verify|check|sign|c2pa-keygen`: whose faces and voices, under which
licences and consents, and the AI labels in the files the kiosk wrote (docs/rights.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path


def add_parser(sub) -> None:
    rights = sub.add_parser("rights", help="rights records: report, verify a file's AI labels, sign a record")
    rsub = rights.add_subparsers(dest="rights_command", required=True)
    rep = rsub.add_parser("report", help="every asset shipped and installed: licence chain, consent window, flags")
    rep.add_argument("--data-dir", type=Path, help="the kiosk's fleet data folder (installed bundles)")
    rep.add_argument("--site", default="", help="the kiosk's venue (to judge consent scopes)")
    rep.add_argument("--region", default="", help="the kiosk's region, e.g. CN-SH")
    rep.add_argument("--purposes", default="commercial", help="what the venue does with it (comma-separated)")
    rep.add_argument("--json", action="store_true")
    rep.set_defaults(func=_report)
    ver = rsub.add_parser("verify", help="read back the implicit AI label and C2PA manifest of PNG/WAV files")
    ver.add_argument("files", type=Path, nargs="+")
    ver.add_argument("--trust-ca", type=Path, action="append", default=[], help="a CA (PEM) whose C2PA signers are trusted")
    ver.add_argument("--json", action="store_true")
    ver.set_defaults(func=_verify)
    chk = rsub.add_parser("check", help="validate a rights.yaml: every problem with its field")
    chk.add_argument("record", type=Path)
    chk.set_defaults(func=_check)
    sign = rsub.add_parser("sign", help="sign a rights.yaml (writes rights.sig beside it) with a rights holder's key")
    sign.add_argument("record", type=Path)
    sign.add_argument("--key", type=Path, required=True, help="an Ed25519 key (edge-avatar bundle keygen)")
    sign.set_defaults(func=_sign)
    kg = rsub.add_parser("c2pa-keygen", help="C2PA signing credentials for a kiosk (a CA made once, a leaf per device)")
    kg.add_argument("--ca", type=Path, required=True, help="the CA folder (ca.pem, ca.key); made if absent")
    kg.add_argument("--org", default="edge-avatar fleet")
    kg.add_argument("--device", required=True)
    kg.add_argument("--out", type=Path, required=True, help="DATA/c2pa on the kiosk: chain.pem, key.pem")
    kg.set_defaults(func=_keygen)


def _report(args: argparse.Namespace) -> int:
    from runtime.rights.consent import Site
    from runtime.rights.report import format_report, rights_report
    purposes = tuple(p.strip() for p in args.purposes.split(",") if p.strip())
    now = dt.datetime.now(dt.timezone.utc)
    rows = rights_report(args.data_dir, Site(args.site, args.region, purposes), now)
    if args.json:
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return 0
    print(format_report(rows))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from runtime.rights.file_labels import read_file_labels
    anchors = b"".join(p.read_bytes() for p in args.trust_ca) or None
    bad = 0
    results = []
    for path in args.files:
        r = read_file_labels(path, anchors)
        bad += not r.ok
        aigc = (r.aigc or {}).get("AIGC", {})
        results.append({"file": str(path), "ok": r.ok, "aigc": aigc or None, "problems": r.problems,
                        "c2pa": None if r.c2pa is None else {"signer": r.signer, "trusted": r.trusted,
                                                             "ingredients": _ingredients(r.c2pa)}})
        if not args.json:
            print(f"{path}: {'OK' if r.ok else 'FAILED'}")
            if aigc:
                print(f"  AIGC label {aigc.get('Label')} (AI-generated), provider {aigc.get('ContentProducer')}, "
                      f"content id {aigc.get('ProduceID')}, rights {aigc.get('ReservedCode1') or '-'}")
            if r.c2pa is not None:
                print(f"  C2PA manifest signed by {r.signer} ({'trusted' if r.trusted else 'signer not on a trust list'}); "
                      f"ingredients: {', '.join(_ingredients(r.c2pa)) or '-'}")
            else:
                print("  no C2PA manifest")
            for p in r.problems:
                print(f"  problem: {p}")
    if args.json:
        print(json.dumps(results, indent=1, ensure_ascii=False))
    return 1 if bad else 0


def _ingredients(store: dict) -> list[str]:
    active = store.get("manifests", {}).get(store.get("active_manifest"), {})
    return [i.get("title", "?") for i in active.get("ingredients", [])]


def _check(args: argparse.Namespace) -> int:
    from runtime.rights.files import parse_record_bytes
    from runtime.rights.record import RightsError
    try:
        record = parse_record_bytes(args.record.read_bytes(), str(args.record))
    except (RightsError, OSError) as err:
        print(err)
        return 1
    print(f"{args.record}: OK ({record.kind} {record.asset_id}, {record.origin.value}, {record.licence})")
    return 0


def _sign(args: argparse.Namespace) -> int:
    from fleet.bundle_keys import key_id, load_private_key
    from runtime.rights.files import parse_record_bytes
    from runtime.rights.signature import RECORD_SIG, encode_signature
    body = args.record.read_bytes()
    parse_record_bytes(body, str(args.record))          # never sign a record the kiosk would refuse
    key = load_private_key(args.key)
    out = args.record.with_name(RECORD_SIG)
    out.write_bytes(encode_signature(key_id(key.public_key()), key.sign(body)))
    print(f"{out}: signed with key {key_id(key.public_key())}")
    return 0


def _keygen(args: argparse.Namespace) -> int:
    from runtime.rights.c2pa_keys import issue, make_ca
    now = dt.datetime.now(dt.timezone.utc)
    if not (args.ca / "ca.pem").exists():
        make_ca(args.ca, args.org, now)
        print(f"{args.ca / 'ca.pem'}: new C2PA CA (keep ca.key off the kiosks)")
    print(f"{issue(args.ca, args.out, args.device, now)}: C2PA signing chain for {args.device}")
    return 0
