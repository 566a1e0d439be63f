"""A read-only root file system (issue 11): the kiosk runs with only its data folder writable.

The test makes its own mount namespace (root only), remounts / read-only (/tmp included), gives a
tmpfs for the data folder and TMPDIR (as systemd's PrivateTmp does), points HOME at a folder that does not exist,
and runs `edge-avatar run --data-dir`: it must answer the bundled question, write its report,
interaction log and avatar cache in the data folder, and write nothing anywhere else."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                 reason="needs root and unshare(1) to make a read-only mount namespace"),
              pytest.mark.skipif(not Path("/mnt").is_dir(), reason="needs an empty /mnt to mount a tmpfs on")]

# The writable tmpfs goes on /mnt (the checkout may itself live under /tmp); TMPDIR stands for
# systemd's PrivateTmp.
SCRIPT = r"""
set -e
mount -o remount,bind,ro /
mount -t tmpfs tmpfs /mnt
mkdir /mnt/data /mnt/tmp
touch /probe 2>/dev/null && { echo "ROOT IS WRITABLE"; exit 3; }
touch /tmp/probe 2>/dev/null && { echo "/tmp IS WRITABLE"; exit 3; }
cd "$REPO"
HOME=/nonexistent TMPDIR=/mnt/tmp EDGE_AVATAR_CACHE= SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy \
  "$PY" -m runtime run --data-dir /mnt/data --input runtime/content/default/demo_question.wav \
  --output null --display headless --pace fast --log-dir /mnt/data/interactions --report /mnt/data/report.json \
  2> /mnt/data/stderr.txt || { cat /mnt/data/stderr.txt; exit 4; }
echo "REPORT $(cat /mnt/data/report.json | tr -d '\n')"
echo "FILES"; cd /mnt && find data -maxdepth 3 | sort
"""


def test_the_kiosk_runs_on_a_read_only_root_with_only_its_data_folder_writable():
    env = {**os.environ, "REPO": str(REPO), "PY": sys.executable}
    env.pop("EDGE_AVATAR_DATA", None)
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", SCRIPT],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout.split("REPORT ", 1)[1].split("\n", 1)[0])
    assert [t["intent"] for t in report["turns"]] == ["opening_hours"]
    files = done.stdout.split("FILES", 1)[1].split()
    assert "data/interactions" in files and any(f.startswith("data/cache/avatars/nova-") for f in files)
