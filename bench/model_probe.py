"""One measurement in a fresh process (so memory is the model's own): used by bench/models.py.

    python bench/model_probe.py tflite PATH BACKEND THREADS
    python bench/model_probe.py voice MODEL_ID THREADS OUT_DIR

Prints one JSON line. Runs in any venv that has the backend (the tflite-runtime one too).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import process_mb  # noqa: E402

SENTENCES = [
    "Hello! I am the digital guide of the museum. How can I help you today?",
    "The cinema is on the fourth floor, next to the food court.",
    "Tickets cost forty yuan for adults, and children under twelve go in for free.",
    "Walk straight ahead, then turn left at the information desk.",
    "The planetarium show starts at a quarter past six every evening.",
    "Sorry, I did not catch that. Could you say it again, please?",
    "The toilets are behind the escalator on every floor.",
    "We close at ten tonight; the car park stays open until eleven.",
]


def probe_tflite(path: str, backend_name: str, threads: int, runs: int = 2000) -> dict:
    from runtime.models.inference import choose_backend
    before = process_mb()
    model = choose_backend(backend_name).load(Path(path), threads)
    rng = np.random.default_rng(0)
    x = [rng.normal(-5, 3, model.inputs[0].shape).astype(np.float32) for _ in range(16)]
    for i in range(100):
        model.run(x[i % 16])
    times = []
    for i in range(runs):
        t = time.perf_counter()
        model.run(x[i % 16])
        times.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95)),
            "rss_mb": process_mb() - before}


def probe_voice(model_id: str, threads: int, out_dir: str) -> dict:
    import onnxruntime

    from runtime.models.manifest import ModelCatalog
    from runtime.tts.piper_tts import PiperSynthesizer
    original = onnxruntime.SessionOptions

    def options():  # thread count for this measurement
        opts = original()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        return opts
    onnxruntime.SessionOptions = options
    catalog = ModelCatalog.load()
    entry = catalog.by_id(model_id)
    catalog.verify(entry)
    before = process_mb()
    voice = PiperSynthesizer(next(f.path for f in entry.files if f.path.suffix == ".onnx"), deterministic=True)
    onnxruntime.SessionOptions = original
    synth_s, audio_s, first = 0.0, 0.0, []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(SENTENCES):
        t = time.perf_counter()
        pieces = []
        for segment in voice.synthesize(text):
            if not pieces:
                first.append((time.perf_counter() - t) * 1000)
            pieces.append(segment.audio.float_samples())
        synth_s += time.perf_counter() - t
        audio = np.concatenate(pieces)
        audio_s += len(audio) / voice.rate
        np.save(out / f"{i}.npy", audio)
    return {"rtf": synth_s / audio_s, "first_chunk_ms_p50": float(np.percentile(first, 50)),
            "rss_mb": process_mb() - before, "rate": voice.rate}


if __name__ == "__main__":
    kind, *rest = sys.argv[1:]
    result = (probe_tflite(rest[0], rest[1], int(rest[2])) if kind == "tflite"
              else probe_voice(rest[0], int(rest[1]), rest[2]))
    print(json.dumps(result))
