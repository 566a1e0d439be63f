"""Named fault-injection points for crash tests (like TiKV's fail points).

``EDGE_AVATAR_FAILPOINT=name`` makes the process SIGKILL itself when it reaches ``name``:
a real ``kill -9`` at an exact step of an install. Unset (always, on a kiosk) it does nothing.
"""

from __future__ import annotations

import os
import signal


def failpoint(name: str) -> None:
    if os.environ.get("EDGE_AVATAR_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
