"""How large each view of a panel format is drawn (pure: a profile in, a size out), so the avatar is
rendered once at the resolution its views need, and tests and benches can ask without a rig."""

from __future__ import annotations

from runtime.display.panel_profile import PanelProfile


def view_size(profile: PanelProfile) -> tuple[int, int]:
    """The size each view is rendered at for this panel (pure: no rig, no rendering), so the avatar
    can be drawn once at the resolution its views need."""
    w, h, cal, fmt = profile.width, profile.height, profile.calibration, profile.format
    if fmt == "flat":
        return (w, h) if profile.rotation in (0, 180) else (h, w)
    if fmt == "pyramid":
        side = int(min(w, h) * 0.3)
        return side, side
    if fmt == "led-fan":
        side = min(w, h)
        return side, side
    if fmt in ("stereo-sbs", "stereo-tb"):
        if not cal.get("half", True):
            return w, h
        return (w // 2, h) if fmt == "stereo-sbs" else (w, h // 2)
    if fmt == "quilt":
        qw, qh = cal.get("quilt_size", [w, h])
        return int(qw) // int(cal["columns"]), int(qh) // int(cal["rows"])
    if fmt == "depth":
        return w // 2, h
    return w, h     # peppers-ghost, lenticular
