"""How long this process has existed (start-up timing measured from the real start, interpreter included)."""

from __future__ import annotations

import os
import time

_IMPORTED_AT = time.monotonic()


def process_age_s() -> float:
    """Seconds since the kernel started this process (Linux /proc); elsewhere since this module loaded."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])            # field 22: starttime, clock ticks after boot
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED_AT
