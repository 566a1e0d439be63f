"""Does a licence allow what the venue does? Pure, conservative: anything not known to permit
commercial use is 'unclear', and an explicit 'forbids' anywhere in the lineage wins."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .record import Commercial, RightsRecord

_FORBIDS = re.compile(r"\bNC\b|non-?commercial|research[- ]only|research use only|personal use only",
                      re.IGNORECASE)
_PERMITS = re.compile(r"^(MIT|Apache-2\.0|BSD-[23]-Clause|CC0|CC-BY-4\.0|CC-BY-3\.0|CC BY 4\.0|public domain|"
                      r"GPL-3\.0\+?|LGPL-2\.1\+?|MPL-2\.0|ISC|Unlicense)\b", re.IGNORECASE)


def licence_commercial(licence: str, stated: Commercial | None = None) -> Commercial:
    """What a licence line says about commercial use. A non-commercial wording always forbids; else
    what the record states wins; else a well-known permissive licence permits; else unclear."""
    if _FORBIDS.search(licence):
        return Commercial.FORBIDS
    if stated is not None:
        return stated
    return Commercial.PERMITS if _PERMITS.match(licence.strip()) else Commercial.UNCLEAR


@dataclass(frozen=True)
class Flag:
    asset_id: str
    where: str             # the asset itself, or "lineage: <role> <name>"
    commercial: Commercial
    licence: str
    note: str


def commercial_flags(record: RightsRecord, purposes: tuple[str, ...]) -> list[Flag]:
    """Every link of the chain whose licence forbids, or does not clearly allow, commercial use,
    when the venue's purposes include it; and every real person in the lineage of an asset that
    holds no consent record of its own."""
    flags = []
    if record.consent is None:
        for i in record.lineage:
            if i.person:
                flags.append(Flag(record.asset_id, f"lineage: {i.role} {i.name}", Commercial.UNCLEAR, i.licence,
                                  f"a real person ({i.person}); no consent record is held, only this licence"))
    if "commercial" not in purposes:
        return flags
    links = [("the asset", record.licence, record.commercial, record.notes)]
    links += [(f"lineage: {i.role} {i.name}", i.licence, i.commercial, i.note) for i in record.lineage]
    for where, licence, stated, note in links:
        verdict = licence_commercial(licence, stated)
        if verdict is not Commercial.PERMITS:
            flags.append(Flag(record.asset_id, where, verdict, licence, note))
    return flags
