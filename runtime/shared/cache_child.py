"""Run one of the project's modules as a child process that writes a cache file, and say why it failed.

Work done once per model (an aligned voice, an int8 Whisper copy, jieba's word table, pocketsphinx's
cut dictionary) loads big tables that the kiosk never needs again; done in a child, that memory goes
back to the system when the child exits instead of staying in the kiosk's heap.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def run_module(module: str, *args: str, timeout_s: float) -> tuple[int | None, str]:
    """(exit code, the last line it wrote to stderr) of `python -m module args`, with this package
    importable; (None, why) when it could not be run or ran out of time."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (PACKAGE_PARENT, os.environ.get("PYTHONPATH")) if p)}
    try:
        done = subprocess.run([sys.executable, "-m", module, *args], check=False, capture_output=True, text=True,
                              env=env, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as err:
        return None, str(err)
    return done.returncode, (done.stderr.strip().splitlines() or ["no output"])[-1]
