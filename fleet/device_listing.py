"""What `fleet devices` / `fleet status` show of a large fleet, pure: each kiosk's conditions (online
or offline, failing, outdated, with staff alerts), a one-line summary of the counts, a filter by
condition and a page of rows. Device views in, rows and text out; no terminal, no clock."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass

from .install_state import InstallState
from .versions import VersionError, parse_version

DEFAULT_PAGE_ROWS = 50


class Condition(str, enum.Enum):
    ONLINE = "online"
    OFFLINE = "offline"
    FAILING = "failing"        # an install refused or failed, settings refused, or a failed hardware test
    OUTDATED = "outdated"      # some kind older than the newest version of that kind in the fleet shown
    ALERTS = "alerts"          # staff alerts not yet acknowledged

    def __str__(self) -> str:
        return self.value


def newest_versions(views: dict) -> dict[str, str]:
    """kind -> the newest version any kiosk reports (versions that do not parse are not compared)."""
    newest: dict[str, tuple] = {}
    for view in views.values():
        for kind, version in (view.as_json()["versions"] or {}).items():
            try:
                key = parse_version(str(version))
            except VersionError:
                continue
            if kind not in newest or key > newest[kind][0]:
                newest[kind] = (key, str(version))
    return {kind: version for kind, (_, version) in newest.items()}


def conditions(view, newest: dict[str, str]) -> frozenset[Condition]:
    j = view.as_json()
    out = {Condition.ONLINE if view.online else Condition.OFFLINE}
    installs = j["installs"] if isinstance(j["installs"], dict) else {}
    if (j["settings_error"] or (j["hwtest"] or {}).get("result") == "FAIL"
            or any(isinstance(r, dict) and r.get("state") in (InstallState.REJECTED, InstallState.FAILED)
                   for r in installs.values())):
        out.add(Condition.FAILING)
    for kind, version in (j["versions"] or {}).items():
        try:
            if kind in newest and parse_version(str(version)) < parse_version(newest[kind]):
                out.add(Condition.OUTDATED)
        except VersionError:
            continue
    if j["alerts"]:
        out.add(Condition.ALERTS)
    return frozenset(out)


@dataclass(frozen=True)
class Listing:
    device_ids: list[str]      # the rows of this page, sorted by device id
    matching: int              # kiosks that pass the filter
    total: int                 # kiosks known (before the filter)
    first: int                 # 1-based number of the first row shown (0 when none)
    page: int
    pages: int
    summary: str               # counts by condition over every kiosk known


def summarise(counts: Counter, total: int) -> str:
    parts = [f"{counts[Condition.ONLINE]} online", f"{counts[Condition.OFFLINE]} offline"]
    parts += [f"{counts[c]} {c}" for c in (Condition.FAILING, Condition.OUTDATED) if counts[c]]
    if counts[Condition.ALERTS]:
        parts.append(f"{counts[Condition.ALERTS]} with staff alerts")
    return f"{total} kiosks: " + ", ".join(parts)


def select(views: dict, only: tuple[Condition, ...] = ()) -> tuple[list[str], Counter]:
    """The device ids having every condition in `only` (sorted), and the count of each condition."""
    newest = newest_versions(views)
    counts: Counter = Counter()
    chosen = []
    for device_id in sorted(views):
        have = conditions(views[device_id], newest)
        counts.update(have)
        if all(c in have for c in only):
            chosen.append(device_id)
    return chosen, counts


def listing(views: dict, only: tuple[Condition, ...] = (), page: int = 1,
            limit: int | None = DEFAULT_PAGE_ROWS) -> Listing:
    """Page `page` (1-based) of `limit` rows (None: every row) of the kiosks with every condition in `only`."""
    if limit is not None and limit < 1:
        raise ValueError(f"--limit {limit}: expected a number of rows of at least 1")
    if page < 1:
        raise ValueError(f"--page {page}: expected a page number from 1")
    chosen, counts = select(views, only)
    size = limit or max(1, len(chosen))
    pages = max(1, -(-len(chosen) // size))
    if page > pages:
        raise ValueError(f"--page {page}: there are {pages} pages of {size} rows ({len(chosen)} kiosks)")
    rows = chosen[(page - 1) * size: page * size]
    return Listing(rows, len(chosen), len(views), (page - 1) * size + 1 if rows else 0, page, pages,
                   summarise(counts, len(views)))


def footer(shown: Listing, only: tuple[Condition, ...]) -> str:
    """Where this page is in the list and how to see more (empty when every kiosk is shown)."""
    which = f" ({' and '.join(map(str, only))})" if only else ""
    if not shown.device_ids:
        return f"no kiosks{which}"
    last = shown.first + len(shown.device_ids) - 1
    text = f"rows {shown.first}-{last} of {shown.matching} kiosks{which}, page {shown.page} of {shown.pages}"
    if shown.pages == 1:
        return text if only else ""
    more = f"--page {shown.page + 1} for the next, " if shown.page < shown.pages else ""
    return f"{text}; {more}--all for every row"
