"""The rights record (``rights.yaml``) every asset carries: parsed and checked, pure.

Whose asset it is, where it came from (original / licensed / made from a real person), under which
licence, its lineage (checkpoints and datasets, each with its licence), and for a real person's
face or voice the consent: who, for which venues, regions and purposes, from when until when.
Schema: docs/rights.md. Every problem names the file and field and says what was expected.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from runtime.shared.errors import EdgeAvatarError

FORMAT = "edge-avatar-rights/1"
ASSET_KINDS = ("avatar", "voice", "asr-model", "tflite-model", "content", "model")


class RightsError(EdgeAvatarError):
    """A rights record that is missing, malformed or unsigned (names the file and field)."""


class Origin(str, enum.Enum):
    ORIGINAL = "original"          # made by the owner, nobody's likeness
    LICENSED = "licensed"          # someone else's work used under a licence
    REAL_PERSON = "real-person"    # a real person's face or voice: needs a consent


class Commercial(str, enum.Enum):
    """What a licence says about commercial use (a venue's kiosk is commercial use)."""
    PERMITS = "permits"
    FORBIDS = "forbids"
    UNCLEAR = "unclear"


@dataclass(frozen=True)
class LineageItem:
    role: str                  # base-checkpoint | dataset | model | code | artwork ...
    name: str
    licence: str
    source: str = ""
    commercial: Commercial | None = None    # as stated by the record; None: judged from the licence
    note: str = ""
    person: str = ""           # this link is a real person's recordings or likeness (who, as stated)


@dataclass(frozen=True)
class Scope:
    venues: tuple[str, ...]     # site ids, or "*" for any
    regions: tuple[str, ...]    # e.g. CN, CN-SH, or "*"
    purposes: tuple[str, ...]   # e.g. commercial, signage, advertising


@dataclass(frozen=True)
class Consent:
    subject: str                # who consented (the person whose face or voice it is)
    rights_holder: str          # who signs for it (the person, their agency, the venue)
    likeness: tuple[str, ...]   # face | voice
    scope: Scope
    valid_from: dt.datetime
    valid_until: dt.datetime


@dataclass(frozen=True)
class RightsRecord:
    asset_id: str
    kind: str
    name: str
    owner: str
    origin: Origin
    licence: str
    commercial: Commercial | None
    source: str
    lineage: tuple[LineageItem, ...]
    consent: Consent | None
    notes: str = ""

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"asset_id": self.asset_id, "kind": self.kind, "name": self.name,
                             "owner": self.owner, "origin": self.origin.value, "licence": self.licence,
                             "commercial": self.commercial.value if self.commercial else None, "source": self.source,
                             "notes": self.notes,
                             "lineage": [{"role": i.role, "name": i.name, "licence": i.licence,
                                          "commercial": i.commercial.value if i.commercial else None, "source": i.source,
                                          "note": i.note, **({"person": i.person} if i.person else {})}
                                         for i in self.lineage]}
        if self.consent is not None:
            c = self.consent
            d["consent"] = {"subject": c.subject, "rights_holder": c.rights_holder,
                            "likeness": list(c.likeness),
                            "scope": {"venues": list(c.scope.venues), "regions": list(c.scope.regions),
                                      "purposes": list(c.scope.purposes)},
                            "valid_from": iso(c.valid_from), "valid_until": iso(c.valid_until)}
        return d


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Fields:
    """Reads one mapping of the record, naming `where.field` in every error."""

    def __init__(self, raw: Any, where: str):
        if not isinstance(raw, dict):
            raise RightsError(f"{where}: expected a mapping, got {type(raw).__name__}")
        self.raw, self.where = raw, where

    def only(self, *allowed: str) -> "_Fields":
        """Refuse a field the schema does not know (a typo must not be dropped silently)."""
        unknown = sorted(str(k) for k in self.raw if k not in allowed)
        if unknown:
            raise RightsError(f"{self.where}: unknown field {unknown[0]!r}; expected {', '.join(allowed)}")
        return self

    def text(self, field: str, required: bool = True) -> str:
        value = self.raw.get(field)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise RightsError(f"{self.where}.{field}: expected text, got {value!r}")
        return value.strip()

    def choice(self, field: str, enum_type: type[enum.Enum], required: bool = True):
        value = self.raw.get(field)
        if value is None and not required:
            return None
        try:
            return enum_type(value)
        except ValueError:
            allowed = ", ".join(e.value for e in enum_type)
            raise RightsError(f"{self.where}.{field}: expected one of {allowed}, got {value!r}") from None

    def texts(self, field: str) -> tuple[str, ...]:
        value = self.raw.get(field)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise RightsError(f"{self.where}.{field}: expected a list of at least one name, got {value!r}")
        return tuple(value)

    def time(self, field: str) -> dt.datetime:
        value = self.raw.get(field)
        if isinstance(value, dt.datetime):
            t = value
        else:
            try:
                t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                raise RightsError(f"{self.where}.{field}: expected an ISO 8601 time such as "
                                  f"2027-01-31T18:00:00Z, got {value!r}") from None
        if t.tzinfo is None:
            raise RightsError(f"{self.where}.{field}: expected a time zone (…Z or +08:00), got {value!r}")
        return t.astimezone(dt.timezone.utc)


def parse_record(raw: Any, where: str = "rights.yaml") -> RightsRecord:
    top = _Fields(raw, where).only("format", "asset", "owner", "origin", "licence", "commercial", "source",
                                   "lineage", "consent", "notes")
    if raw.get("format") != FORMAT:
        raise RightsError(f"{where}: format: expected {FORMAT!r}, got {raw.get('format')!r}")
    asset = _Fields(raw.get("asset"), f"{where}: asset").only("id", "kind", "name")
    kind = asset.text("kind")
    if kind not in ASSET_KINDS:
        raise RightsError(f"{where}: asset.kind: expected one of {', '.join(ASSET_KINDS)}, got {kind!r}")
    origin = top.choice("origin", Origin)
    lineage_raw = raw.get("lineage") or []
    if not isinstance(lineage_raw, list):
        raise RightsError(f"{where}: lineage: expected a list of {{role, name, licence}}")
    lineage = tuple(_lineage_item(item, f"{where}: lineage[{i}]") for i, item in enumerate(lineage_raw))
    consent = None
    if raw.get("consent") is not None:
        consent = _consent(raw["consent"], f"{where}: consent")
    if origin is Origin.REAL_PERSON and consent is None:
        raise RightsError(f"{where}: consent: expected a consent record: origin is real-person "
                          f"(a real person's face or voice)")
    return RightsRecord(asset.text("id"), kind, asset.text("name"), top.text("owner"), origin,
                        top.text("licence"), top.choice("commercial", Commercial, required=False),
                        top.text("source", required=False), lineage, consent, top.text("notes", required=False))


def _lineage_item(raw: Any, where: str) -> LineageItem:
    f = _Fields(raw, where).only("role", "name", "licence", "source", "commercial", "note", "person")
    return LineageItem(f.text("role"), f.text("name"), f.text("licence"), f.text("source", required=False),
                       f.choice("commercial", Commercial, required=False), f.text("note", required=False),
                       f.text("person", required=False))


def _consent(raw: Any, where: str) -> Consent:
    f = _Fields(raw, where).only("subject", "rights_holder", "likeness", "scope", "valid_from", "valid_until")
    scope = _Fields(raw.get("scope"), f"{where}.scope").only("venues", "regions", "purposes")
    likeness = f.texts("likeness")
    bad = [x for x in likeness if x not in ("face", "voice")]
    if bad:
        raise RightsError(f"{where}.likeness: expected face and/or voice, got {bad[0]!r}")
    valid_from, valid_until = f.time("valid_from"), f.time("valid_until")
    if valid_until <= valid_from:
        raise RightsError(f"{where}.valid_until: expected a time after valid_from ({iso(valid_from)})")
    return Consent(f.text("subject"), f.text("rights_holder"), likeness,
                   Scope(scope.texts("venues"), scope.texts("regions"), scope.texts("purposes")),
                   valid_from, valid_until)
