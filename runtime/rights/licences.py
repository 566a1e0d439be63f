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


def licence_commercial(licence: str, stated: Commercial = Commercial.UNCLEAR) -> Commercial:
    """What a licence line says about commercial use; a stated 'forbids' or 'unclear' is kept."""
    if stated is Commercial.FORBIDS or _FORBIDS.search(licence):
        return Commercial.FORBIDS
    if stated is Commercial.PERMITS or _PERMITS.match(licence.strip()):
        return Commercial.PERMITS
    return Commercial.UNCLEAR


@dataclass(frozen=True)
class Flag:
    asset_id: str
    where: str             # the asset itself, or "lineage: <role> <name>"
    commercial: Commercial
    licence: str
    note: str


def commercial_flags(record: RightsRecord, purposes: tuple[str, ...]) -> list[Flag]:
    """Every link of the chain whose licence forbids, or does not clearly allow, commercial use,
    when the venue's purposes include it."""
    if "commercial" not in purposes:
        return []
    flags = []
    links = [("the asset", record.licence, record.commercial, record.notes)]
    links += [(f"lineage: {i.role} {i.name}", i.licence, i.commercial, i.note) for i in record.lineage]
    for where, licence, stated, note in links:
        verdict = licence_commercial(licence, stated)
        if verdict is not Commercial.PERMITS:
            flags.append(Flag(record.asset_id, where, verdict, licence, note))
    return flags
