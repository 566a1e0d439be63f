"""Named fault-injection points for crash tests (like TiKV's fail points).

``EDGE_AVATAR_FAILPOINT=name`` makes the process SIGKILL itself when it reaches ``name``:
a real ``kill -9`` at an exact step of an install. With ``EDGE_AVATAR_POWER_LOSS=1`` too, it first
undoes every file change not yet fsynced (``runtime.shared.power_loss``): a power cut at that step.
Unset (always, on a kiosk) it does nothing.
"""

from __future__ import annotations

import os
import signal

from runtime.shared import power_loss


def failpoint(name: str) -> None:
    if os.environ.get("EDGE_AVATAR_FAILPOINT") == name:
        power_loss.lose_unsynced(name)
        os.kill(os.getpid(), signal.SIGKILL)
