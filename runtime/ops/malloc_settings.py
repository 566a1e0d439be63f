"""glibc's allocator, set at process start (before any thread of the kiosk exists).

- **Arenas.** glibc gives a thread that finds the main heap busy an arena of its own (up to 8 × cores)
  and keeps what is freed there for that arena: a kiosk's audio, synthesis, loading and fleet threads
  each hold freed memory the others cannot reuse, and the resident memory creeps over months
  (docs/measurements.md: +7.5 % over 200 turns without a limit). At most `ARENA_MAX`.
- **Big blocks.** By default glibc moves its mmap threshold up (to 32 MB) after a big block is freed,
  so later big blocks — the engines' load-time buffers, onnxruntime's per-run tensors — come from the
  heap, and a heap with holes cannot give them back: the peak grows with the kiosk's history. With
  `MMAP_THRESHOLD` fixed, blocks above it are mapped on their own and returned when freed.
  docs/speaking.md#memory-by-stage has the side-by-side figures and the CPU this costs.

The systemd unit sets `MALLOC_ARENA_MAX=2` in the environment (runtime/ops/service/unit_file.py); a
setting given in the environment is left as it is (glibc has read it already), and
`EDGE_AVATAR_MALLOC=glibc` leaves glibc's defaults alone (to measure them). Not glibc (musl):
nothing to do, and it says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Mapping

M_MMAP_THRESHOLD = -3     # glibc malloc.h
M_ARENA_MAX = -8
ARENA_MAX = 2             # the main arena and one more
MMAP_THRESHOLD = 4 << 20  # bytes; set from the side-by-side runs in docs/speaking.md#memory-by-stage
OPT_OUT = "EDGE_AVATAR_MALLOC"


def tune_malloc(environ: Mapping[str, str] = os.environ, arenas: int = ARENA_MAX,
                mmap_threshold: int = MMAP_THRESHOLD) -> str:
    """Set glibc's arenas and mmap threshold; returns what was done, for the start-up log."""
    if environ.get(OPT_OUT) == "glibc":
        return f"malloc: glibc's defaults ({OPT_OUT}=glibc)"
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
        version = libc.gnu_get_libc_version
    except (OSError, AttributeError, TypeError):
        return f"malloc: left as it is (the C library {name or '?'} is not glibc)"
    version.restype = ctypes.c_char_p
    done = []
    for variable, option, value, what in (("MALLOC_ARENA_MAX", M_ARENA_MAX, arenas, "arenas at most"),
                                          ("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, mmap_threshold,
                                           "blocks mapped from (bytes)")):
        if environ.get(variable):
            done.append(f"{variable}={environ[variable]} from the environment")
        elif mallopt(option, value) == 1:
            done.append(f"{what} {value}")
        else:
            done.append(f"glibc refused {what} {value}")
    return f"malloc (glibc {version().decode()}): {'; '.join(done)}"
