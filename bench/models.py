"""Every model of the manifest, measured: the kiosk's TFLite models on both backends and the
Piper voices (float and int8) on onnxruntime.

    python bench/models.py [--tflite-python .venv-tflite/bin/python] [--json bench/results/models.json]

TFLite: latency p50/p95 per invocation with 1 and 2 threads and the memory the model adds (each
in a fresh process), with LiteRT and, when a tflite-runtime venv is given, tflite-runtime 2.14.
Voices: real-time factor, first-chunk latency and memory with 1 and 2 threads; quality as the
kiosk's own recogniser's word error rate on each voice's speech (pocketsphinx, no hints) and the
spectral distance of the int8 voice from its float original (log-mel, DTW-aligned, dB).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import machine, print_table, write_json  # noqa: E402
from bench.model_probe import SENTENCES  # noqa: E402
from runtime.models.manifest import ModelCatalog

PROBE = str(REPO / "bench" / "model_probe.py")


def _probe(python: str, *args: str) -> dict:
    done = subprocess.run([python, PROBE, *args], capture_output=True, text=True, timeout=900, cwd=REPO)
    if done.returncode:
        raise SystemExit(f"{python} {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def log_mel_db(audio: np.ndarray, rate: int) -> np.ndarray:
    from runtime.audio.chunk import AudioChunk
    from runtime.lipsync.features import log_mel
    x = AudioChunk.from_float(audio, rate).converted(rate=16000).float_samples()
    return log_mel(x) * (10 / np.log(10))


def dtw_distance_db(a: np.ndarray, b: np.ndarray) -> float:
    """Mean per-frame RMS difference (dB over 40 mel bands) along the best alignment."""
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).mean(axis=2))
    acc = np.full((len(a) + 1, len(b) + 1), np.inf)
    acc[0, 0] = 0.0
    steps = np.zeros_like(acc)
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            k = int(np.argmin((acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1])))
            prev = ((i - 1, j - 1), (i - 1, j), (i, j - 1))[k]
            acc[i, j] = cost[i - 1, j - 1] + acc[prev]
            steps[i, j] = steps[prev] + 1
    return float(acc[-1, -1] / steps[-1, -1])


def word_error_rate(folder: Path, rate: int) -> float:
    from runtime.asr.scoring import wer
    from runtime.audio.chunk import AudioChunk
    from runtime.composition.backends import make_recognizer
    recognizer = make_recognizer(ModelCatalog.load(), "en")
    pairs = []
    for i, text in enumerate(SENTENCES):
        audio = AudioChunk.from_float(np.load(folder / f"{i}.npy"), rate).converted(rate=16000)
        recognizer.start()
        for s in range(0, audio.frames, 1600):
            recognizer.accept(audio.slice(s, s + 1600))
        pairs.append((text, recognizer.finish()))
    return wer(pairs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tflite-python", help="python of a venv with tflite-runtime 2.14 (numpy<2)")
    ap.add_argument("--json", type=Path, default=Path("bench/results/models.json"))
    args = ap.parse_args()
    catalog = ModelCatalog.load()
    rows, result = [], {"machine": machine(), "tflite": [], "voices": []}
    backends = [("litert", sys.executable)] + ([("tflite-runtime", args.tflite_python)] if args.tflite_python else [])
    for entry in [e for e in catalog.entries if e.kind == "tflite" and e.available]:
        path = str(catalog.verify(entry) / entry.files[0].path.name)
        for name, python in backends:
            for threads in (1, 2):
                r = _probe(python, "tflite", path, name, str(threads))
                result["tflite"].append({"model": entry.id, "backend": name, "threads": threads, **r})
                rows.append((f"{entry.id} {name} {threads}t", f"p50 {r['p50_ms']:.3f} ms  p95 {r['p95_ms']:.3f} ms  "
                             f"+{r['rss_mb']:.1f} MB"))
    voices = [e for e in catalog.entries if e.kind == "tts" and e.engine == "piper" and e.available]
    with tempfile.TemporaryDirectory() as tmp:
        audio_dirs = {}
        for entry in voices:
            for threads in (1, 2):
                out = Path(tmp) / f"{entry.id}-{threads}"
                r = _probe(sys.executable, "voice", entry.id, str(threads), str(out))
                audio_dirs[entry.id], rate = out, r["rate"]
                result["voices"].append({"voice": entry.id, "precision": entry.precision, "threads": threads, **r})
                rows.append((f"{entry.id} {threads}t", f"RTF {r['rtf']:.3f}  first chunk {r['first_chunk_ms_p50']:.0f} ms  "
                             f"+{r['rss_mb']:.0f} MB"))
        quality = {}
        for entry in voices:
            q = {"wer": word_error_rate(audio_dirs[entry.id], rate)}
            base = entry.id.removesuffix("-int8")
            if entry.precision == "int8" and base in audio_dirs:
                q["spectral_distance_db"] = float(np.mean([
                    dtw_distance_db(log_mel_db(np.load(audio_dirs[entry.id] / f"{i}.npy"), rate),
                                    log_mel_db(np.load(audio_dirs[base] / f"{i}.npy"), rate))
                    for i in range(len(SENTENCES))]))
            quality[entry.id] = q
            rows.append((f"{entry.id} quality", f"WER {q['wer']:.1%}" + (
                f"  spectral distance from float {q['spectral_distance_db']:.2f} dB" if "spectral_distance_db" in q else "")))
        result["voice_quality"] = quality
    evaluation = REPO / "models_quantized" / "recipes" / "audio_visemes" / "evaluation.json"
    if evaluation.exists():
        ev = json.loads(evaluation.read_text())
        result["audio_visemes_accuracy"] = ev
        rows.append(("audio-visemes held-out frame accuracy",
                     f"int8 {ev['int8_accuracy']:.1%}  float {ev['float_accuracy']:.1%}  loudness {ev['baseline_accuracy']:.1%}"))
    print_table(f"Models ({machine()})", rows)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
