"""`edge-avatar rights report`: every asset shipped and installed with its licence chain, consent
window and standing now, and the links whose licence forbids (or does not clearly allow) what the
venue does. Pure but for reading the records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .consent import Site, judge
from .files import read_record, read_revocations
from .licences import commercial_flags, licence_commercial
from .record import RightsError, RightsRecord, iso
from .shipped import shipped_records

INSTALLED_KINDS = ("avatar", "voice", "asr-model", "tflite-model", "content")


def _row(record: RightsRecord, where: str, site: Site, now: dt.datetime, revoked: frozenset[str]) -> dict:
    verdict = judge(record, site, now, revoked)
    row = {"where": where, **record.as_dict(),
           "commercial_use": licence_commercial(record.licence, record.commercial).value,
           "standing": verdict.standing.value, "standing_reason": verdict.reason,
           "flags": [{"where": f.where, "commercial": f.commercial.value, "licence": f.licence, "note": f.note}
                     for f in commercial_flags(record, site.purposes)]}
    return row


def rights_report(data_dir: Path | None, site: Site, now: dt.datetime) -> list[dict]:
    revoked = frozenset(read_revocations(data_dir)) if data_dir else frozenset()
    rows = [_row(rec, "shipped", site, now, revoked) for _body, rec in shipped_records().values()]
    for kind in INSTALLED_KINDS if data_dir else ():
        folder = Path(data_dir) / "current" / kind
        if not folder.is_dir():
            continue
        try:
            rows.append(_row(read_record(folder), f"installed {kind} ({folder.resolve().name})", site, now, revoked))
        except RightsError as err:
            rows.append({"where": f"installed {kind}", "asset_id": "?", "error": str(err)})
    return rows


def format_report(rows: list[dict]) -> str:
    out = []
    for r in rows:
        if "error" in r:
            out.append(f"{r['where']}: NO VALID RIGHTS RECORD: {r['error']}")
            continue
        out.append(f"{r['asset_id']} ({r['kind']}, {r['where']}): {r['name']}")
        out.append(f"  owner {r['owner']}; origin {r['origin']}; licence {r['licence']} "
                   f"(commercial use: {r['commercial_use']})")
        if r.get("source"):
            out.append(f"  source: {r['source']}")
        for item in r["lineage"]:
            person = f"; a real person: {item['person']}" if item.get("person") else ""
            out.append(f"  <- {item['role']}: {item['name']} [{item['licence']}]{person}")
        c = r.get("consent")
        if c:
            out.append(f"  consent of {c['subject']} (signed for by {c['rights_holder']}): {', '.join(c['likeness'])}; "
                       f"{c['valid_from']} to {c['valid_until']}; venues {', '.join(c['scope']['venues'])}, "
                       f"regions {', '.join(c['scope']['regions'])}, purposes {', '.join(c['scope']['purposes'])}")
        out.append(f"  standing now: {r['standing']} ({r['standing_reason']})")
        for f in r["flags"]:
            word = "FORBIDS commercial use" if f["commercial"] == "forbids" else "UNCLEAR"
            out.append(f"  FLAG {word}: {f['where']} [{f['licence']}]" + (f": {f['note']}" if f["note"] else ""))
        if r.get("notes"):
            out.append(f"  notes: {r['notes']}")
    forbids = sum(f["commercial"] == "forbids" for r in rows for f in r.get("flags", []))
    unclear = sum(f["commercial"] == "unclear" for r in rows for f in r.get("flags", []))
    out.append(f"{len(rows)} assets; {forbids} link(s) forbid commercial use, {unclear} unclear "
               f"(report made {iso(dt.datetime.now(dt.timezone.utc))})")
    return "\n".join(out)
