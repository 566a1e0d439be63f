"""glibc's heap arenas, limited at process start (before any thread of the kiosk exists).

glibc gives a thread that finds the main heap busy an arena of its own (up to 8 × cores) and keeps what
is freed there for that arena: a kiosk's audio, synthesis, loading and fleet threads each hold freed
memory the others cannot reuse, so the resident memory is higher and creeps over months
(docs/measurements.md: +7.5 % over 200 turns without a limit). The systemd unit sets
`MALLOC_ARENA_MAX=2` (runtime/ops/service/unit_file.py); `edge-avatar run` started any other way gets
the same limit here through `mallopt(M_ARENA_MAX)`. An explicit `MALLOC_ARENA_MAX` in the environment
is left as it is (glibc has read it already). Not glibc (musl): nothing to do, and it says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Mapping

M_ARENA_MAX = -8          # glibc malloc.h
ARENA_MAX = 2             # the main arena and one more: measured in docs/speaking.md#memory-by-stage


def limit_arenas(environ: Mapping[str, str] = os.environ, arenas: int = ARENA_MAX) -> str:
    """Limit glibc's arenas to `arenas`; returns what was done, for the start-up log."""
    if environ.get("MALLOC_ARENA_MAX"):
        return f"malloc arenas: MALLOC_ARENA_MAX={environ['MALLOC_ARENA_MAX']} from the environment"
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
        gnu_libc_version = libc.gnu_get_libc_version
    except (OSError, AttributeError, TypeError):
        return f"malloc arenas: not limited (the C library {name or '?'} is not glibc)"
    gnu_libc_version.restype = ctypes.c_char_p
    if mallopt(M_ARENA_MAX, arenas) != 1:
        return f"malloc arenas: glibc {gnu_libc_version().decode()} refused M_ARENA_MAX={arenas}"
    return f"malloc arenas: at most {arenas} (glibc {gnu_libc_version().decode()}, mallopt)"
