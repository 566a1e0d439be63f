"""The screen's current refresh rate, read from `xrandr --current` (X11; pure parser + one probe)."""

from __future__ import annotations

import re
import shutil
import subprocess

_MODE = re.compile(r"^\s+(\d+)x(\d+)\S*\s+(.*)$")
_RATE = re.compile(r"(\d+(?:\.\d+)?)\*")


def parse_xrandr(text: str) -> tuple[int, int, float] | None:
    """(width, height, Hz) of the mode marked current (`*`), or None."""
    for line in text.splitlines():
        m = _MODE.match(line)
        if not m:
            continue
        rate = _RATE.search(m.group(3))
        if rate:
            return int(m.group(1)), int(m.group(2)), float(rate.group(1))
    return None


def current_refresh() -> tuple[int, int, float] | None:
    if not shutil.which("xrandr"):
        return None
    try:
        done = subprocess.run(["xrandr", "--current"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_xrandr(done.stdout) if done.returncode == 0 else None
