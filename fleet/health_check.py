"""The health check after an install: ``edge-avatar selftest`` in a child process, time-limited.

A child process so a model that crashes or hangs its loader cannot take the agent with it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .installer import HealthResult


class SelfTestHealthCheck:
    def __init__(self, timeout_s: float = 180.0):
        self.timeout_s = timeout_s

    def __call__(self, kind: str, path: Path) -> HealthResult:
        cmd = [sys.executable, "-m", "runtime", "selftest", kind, str(path)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            return HealthResult(False, f"self-test of {kind} did not finish within {self.timeout_s:g} s")
        lines = (done.stdout.strip() or done.stderr.strip() or "no output").splitlines()
        if done.returncode != 0:
            return HealthResult(False, f"self-test of {kind} failed: {lines[-1][:300]}")
        return HealthResult(True, lines[-1][:300])
