"""Is this asset allowed on this kiosk now? Pure: record, site and time in, a verdict out.

An asset that is nobody's likeness (original, licensed) needs no consent; a real person's face or
voice is allowed only inside its consent's scope (this kiosk's venue and region, every purpose the
venue puts it to) and window (valid_from <= now < valid_until), and never once revoked.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from .record import RightsRecord, Scope, iso


class Standing(str, enum.Enum):
    ALLOWED = "allowed"                 # no consent needed, or inside its scope and window
    NOT_YET = "not-yet-valid"           # the consent starts later
    EXPIRED = "expired"                 # the consent ran out
    OUT_OF_SCOPE = "out-of-scope"       # not for this venue, region or purpose
    REVOKED = "revoked"                 # an admin's signed revocation
    CLOCK_UNTRUSTED = "clock-untrusted"  # a real person's likeness, and the kiosk's clock is known wrong


@dataclass(frozen=True)
class Site:
    """Where the kiosk is and what the venue does with it (from the fleet identity and settings)."""
    venue: str = ""                     # the fleet site / group; "" when not known
    region: str = ""                    # e.g. CN-SH; "" when not known
    purposes: tuple[str, ...] = ("commercial",)


@dataclass(frozen=True)
class Verdict:
    standing: Standing
    reason: str
    until: dt.datetime | None = None    # when an allowed consent ends (None: no consent needed)

    @property
    def allowed(self) -> bool:
        return self.standing is Standing.ALLOWED


def judge(record: RightsRecord, site: Site, now: dt.datetime, revoked: frozenset[str] = frozenset(),
          clock_trusted: bool = True) -> Verdict:
    """`clock_trusted`: False when the wall clock is known to be behind (runtime/rights/clock.py)."""
    if record.asset_id in revoked:
        return Verdict(Standing.REVOKED, f"{record.asset_id}: revoked by a fleet admin")
    consent = record.consent
    if consent is None:
        return Verdict(Standing.ALLOWED, f"{record.origin.value}: no consent needed")
    if not clock_trusted:
        return Verdict(Standing.CLOCK_UNTRUSTED, f"{record.asset_id}: the kiosk's clock is behind the last time it "
                                                 f"trusted ({iso(now)}), so the end of {consent.subject}'s consent "
                                                 f"cannot be judged; not shown until the clock is right")
    problem = scope_problem(consent.scope, site)
    if problem:
        return Verdict(Standing.OUT_OF_SCOPE, f"{record.asset_id}: consent of {consent.subject} {problem}")
    if now < consent.valid_from:
        return Verdict(Standing.NOT_YET, f"{record.asset_id}: consent of {consent.subject} starts "
                                         f"{iso(consent.valid_from)} (now {iso(now)})")
    if now >= consent.valid_until:
        return Verdict(Standing.EXPIRED, f"{record.asset_id}: consent of {consent.subject} ended "
                                         f"{iso(consent.valid_until)} (now {iso(now)})")
    return Verdict(Standing.ALLOWED, f"consent of {consent.subject} until {iso(consent.valid_until)}",
                   consent.valid_until)


def scope_problem(scope: Scope, site: Site) -> str:
    """'' if the site is inside the scope, else what is outside it."""
    if "*" not in scope.venues:
        if not site.venue:
            return f"covers venues {', '.join(scope.venues)}, and this kiosk's site is not known"
        if site.venue not in scope.venues:
            return f"covers venues {', '.join(scope.venues)}, not this kiosk's {site.venue!r}"
    if "*" not in scope.regions:
        if not site.region:
            return f"covers regions {', '.join(scope.regions)}, and this kiosk's region is not set"
        if not any(site.region == r or site.region.startswith(r + "-") for r in scope.regions):
            return f"covers regions {', '.join(scope.regions)}, not this kiosk's {site.region!r}"
    missing = [p for p in site.purposes if p not in scope.purposes and "*" not in scope.purposes]
    if missing:
        return f"covers purposes {', '.join(scope.purposes)}, not {', '.join(missing)}"
    return ""
