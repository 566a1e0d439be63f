"""Mouth shapes: the 15 visemes, and how a rig with fewer drawn shapes still speaks.

Fallback chain (documented in docs/avatar-pack.md): a viseme the rig lacks uses
its Rhubarb shape (A–F, the six mouths most 2D animators draw); a rig with
neither uses an `open`/`closed` pair chosen by how open the viseme is.
"""

from __future__ import annotations

VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou")
RHUBARB = ("A", "B", "C", "D", "E_", "F")   # E_ : Rhubarb's E (so it cannot clash with the viseme E)
RHUBARB_NAMES = {"A": "A", "B": "B", "C": "C", "D": "D", "E": "E_", "F": "F"}

# Rhubarb Lip Sync's shapes: A closed (P B M), B slightly open (K S T…), C open (EH AE),
# D wide open (AA), E rounded (AO ER), F puckered (UW OW W); F also serves the lip-teeth FF.
VISEME_TO_RHUBARB = {
    "sil": "A", "PP": "A", "FF": "F", "TH": "B", "DD": "B", "kk": "B", "CH": "B", "SS": "B",
    "nn": "B", "RR": "E_", "aa": "D", "E": "C", "ih": "C", "oh": "E_", "ou": "F",
}
# How open each viseme is (0..1) and its form (-1 round .. +1 wide): drives ParamMouthOpenY/Form.
OPENNESS: dict[str, tuple[float, float]] = {
    "sil": (0.0, 0.0), "PP": (0.0, -0.1), "FF": (0.12, 0.2), "TH": (0.2, 0.2),
    "DD": (0.3, 0.3), "kk": (0.35, 0.2), "CH": (0.3, -0.4), "SS": (0.15, 0.6),
    "nn": (0.25, 0.3), "RR": (0.3, -0.5), "aa": (1.0, 0.2), "E": (0.6, 0.6),
    "ih": (0.45, 0.8), "oh": (0.75, -0.6), "ou": (0.4, -1.0),
}
OPEN_CLOSED_AT = 0.2   # a viseme at least this open shows `open` on a two-shape rig


def shape_for(viseme: str, available: set[str] | frozenset[str]) -> str:
    """The drawn mouth a rig with `available` shapes shows for `viseme`."""
    if viseme in available:
        return viseme
    rhubarb = VISEME_TO_RHUBARB.get(viseme, "A")
    if rhubarb in available:
        return rhubarb
    if "open" in available and "closed" in available:
        return "open" if OPENNESS.get(viseme, (0.0, 0.0))[0] >= OPEN_CLOSED_AT else "closed"
    raise KeyError(f"no mouth shape for viseme {viseme!r} among {sorted(available)}")


def complete_sets() -> tuple[frozenset[str], ...]:
    """The shape sets a rig may draw: every viseme, the six Rhubarb shapes, or open/closed."""
    return frozenset(VISEMES), frozenset(RHUBARB), frozenset(("open", "closed"))
