"""End of speech -> first answer audio, through `edge-avatar run` with real-time input.

Spoken questions (Piper, deterministic) are played into `run` in real time. From
its report: first_audio_ms minus the true end of speech in the input. In the same
run, the raw engines alone on the same audio and text: pocketsphinx decoding each
question whole, and Piper synthesising each answer whole, so the table shows
what the pipeline adds (or saves). Peak RSS is the `run` process's own.

    python bench/voice_loop.py [--json OUT] [--questions N]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, pct, print_table, spoken_questions, write_json, write_wav  # noqa: E402
from runtime.composition.backends import make_synthesizer
from runtime.dialogue.content_pack import load_content_pack  # noqa: E402
from runtime.models.manifest import ModelCatalog

MALL = Path(__file__).resolve().parents[2] / "shared" / "venues" / "mall-demo"
QUESTIONS = [
    "Where is the cinema?", "Where is the supermarket?", "Can I bring my dog?",
    "Where can I charge my phone?", "Where is the ATM?", "Where can I eat?",
    "Where is the lost and found?", "Where is the service desk?", "Is there a smoking room?",
    "Can I borrow a stroller?",
]


def raw_asr(catalog, audio, spans) -> tuple[list[float], float]:
    """pocketsphinx alone, default settings, whole question: (final latency per question, RTF)."""
    from pocketsphinx import Decoder
    decoder = Decoder(samprate=16000, loglevel="ERROR")
    latencies, busy, total = [], 0.0, 0.0
    for start, end in spans:
        piece = audio.slice(int((start - 0.3) * 16000), int((end + 0.3) * 16000))
        t0 = time.perf_counter()
        decoder.start_utt()
        decoder.process_raw(piece.audio, full_utt=True)
        decoder.end_utt()
        decoder.hyp()
        dt = time.perf_counter() - t0
        latencies.append(dt * 1000)
        busy += dt
        total += piece.seconds
    return latencies, busy / total


def kiosk_asr_rtf(catalog, audio, spans) -> float:
    """The kiosk's own recogniser settings, streamed in 32 ms chunks: CPU seconds per audio second."""
    from runtime.composition.backends import make_recognizer
    recognizer = make_recognizer(catalog, "en")
    busy = total = 0.0
    for start, end in spans:
        piece = audio.slice(int((start - 0.3) * 16000), int((end + 0.3) * 16000))
        t0 = time.perf_counter()
        recognizer.start()
        for i in range(0, piece.frames, 512):
            recognizer.accept(piece.slice(i, i + 512))
        recognizer.finish()
        busy += time.perf_counter() - t0
        total += piece.seconds
    return busy / total


def tts_figures(catalog, texts: list[str]) -> dict:
    """Piper alone (whole text, first chunk) against the kiosk's clause-first synthesis."""
    from piper import PiperVoice
    entry = catalog.find("tts", "en", engine="piper")
    onnx = next(f.path for f in entry.files if f.path.suffix == ".onnx")
    raw = PiperVoice.load(onnx)
    ours = make_synthesizer(catalog, "en")
    raw_first, our_first, synth_s, audio_s = [], [], 0.0, 0.0
    for text in texts + texts:   # the first pass warms both engines up
        t0 = time.perf_counter()
        next(iter(raw.synthesize(text)))
        raw_first.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        segments = ours.synthesize(text)
        first = next(segments)
        our_first.append((time.perf_counter() - t0) * 1000)
        rest = list(segments)
        synth_s += time.perf_counter() - t0
        audio_s += first.audio.seconds + sum(s.audio.seconds for s in rest)
    half = len(texts)
    return {"raw_first": statistics.median(raw_first[half:]), "our_first": statistics.median(our_first[half:]),
            "rtf": synth_s / audio_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--questions", type=int, default=len(QUESTIONS))
    ap.add_argument("--gap", type=float, default=9.0, help="seconds between questions")
    args = ap.parse_args()

    catalog = ModelCatalog.load()
    visitor = make_synthesizer(catalog, "en", deterministic=True)
    questions = QUESTIONS[:args.questions]
    audio, spans = spoken_questions(visitor, questions, gap_s=args.gap)
    with tempfile.TemporaryDirectory() as tmp:
        wav, report_path = Path(tmp) / "questions.wav", Path(tmp) / "report.json"
        write_wav(wav, audio)
        cmd = [sys.executable, "-m", "runtime", "run", "--content", str(MALL), "--lang", "en",
               "--input", str(wav), "--output", "null", "--display", "headless",
               "--pace", "realtime", "--report", str(report_path)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"run failed:\n{done.stderr}")
        peak_rss_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        report = json.loads(report_path.read_text(encoding="utf-8"))

    pack = load_content_pack(MALL)
    expected = [{"Where is the cinema?": "cinema"}.get(q) for q in questions]
    latencies, rows, waits, parts = [], [], [], []
    for turn in report["turns"]:
        t = turn["timings"]
        true_end = min(spans, key=lambda s: abs(s[1] * 1000 - t["speech_end_ms"]))[1]
        latency = t["first_audio_ms"] - true_end * 1000
        latencies.append(latency)
        waits.append(t["endpoint_wait_ms"])
        parts.append((t["speech_end_ms"] - true_end * 1000, t["turn_end_ms"] - t["speech_end_ms"],
                      t["answer_ready_ms"] - t["turn_end_ms"], t["first_audio_ms"] - t["answer_ready_ms"]))
        rows.append((turn["transcript"], turn["intent"], latency, turn["speculative"]))
    texts = [pack.intent(r[1]).answers["en"] if r[1] else pack.fallback["en"] for r in rows]
    tts = tts_figures(catalog, texts)
    raw_latencies, raw_rtf = raw_asr(catalog, audio, spans)
    asr_rtf = kiosk_asr_rtf(catalog, audio, spans)

    print(f"machine: {machine()}")
    print(f"{'question heard':44} {'intent':16} {'first audio after end':>22} speculated")
    for transcript, intent, latency, spec in rows:
        print(f"{transcript[:44]:44} {str(intent):16} {latency:>19.0f} ms {'yes' if spec else 'no':>10}")
    result = {
        "first_audio_after_speech_end_ms": {"p50": round(pct(latencies, 50)), "p95": round(pct(latencies, 95))},
        "asr_rtf": round(asr_rtf, 3),
        "tts_rtf": round(tts["rtf"], 3),
        "tts_first_chunk_ms": round(tts["our_first"], 1),
        "raw_tts_first_chunk_ms": round(tts["raw_first"], 1),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "raw_asr_rtf": round(raw_rtf, 3),
        "raw_asr_final_after_audio_ms": {"p50": round(pct(raw_latencies, 50))},
        "endpoint_wait_ms": {"mean": round(statistics.mean(waits)) if waits else None},
        "breakdown_mean_ms": dict(zip(("vad_end_lag", "endpoint_wait", "asr_and_match", "to_sink"),
                                      (round(statistics.mean(p[i] for p in parts)) for i in range(4)))),
        "turns": len(rows), "questions": len(questions),
        "speculation_used": sum(1 for r in rows if r[3]),
        "machine": machine(),
    }
    print_table("voice loop (real-time input through `edge-avatar run`)", [
        ("end of speech -> first audio p50", f"{result['first_audio_after_speech_end_ms']['p50']} ms"),
        ("end of speech -> first audio p95", f"{result['first_audio_after_speech_end_ms']['p95']} ms"),
        ("endpoint silence waited (mean)", f"{result['endpoint_wait_ms']['mean']} ms"),
        ("  mean parts: VAD end lag / wait / ASR+match / to sink",
         " / ".join(f"{v} ms" for v in result["breakdown_mean_ms"].values())),
        ("answers started speculatively", f"{result['speculation_used']}/{len(rows)}"),
        ("ASR RTF, kiosk streaming settings", f"{result['asr_rtf']}"),
        ("ASR RTF, raw pocketsphinx whole-utterance", f"{result['raw_asr_rtf']}"),
        ("raw pocketsphinx final after audio (p50)", f"{result['raw_asr_final_after_audio_ms']['p50']} ms"),
        ("TTS RTF (Piper, kiosk)", f"{result['tts_rtf']}"),
        ("TTS first chunk, kiosk (median)", f"{result['tts_first_chunk_ms']} ms"),
        ("TTS first chunk, raw Piper (median)", f"{result['raw_tts_first_chunk_ms']} ms"),
        ("peak RSS of `run`", f"{result['peak_rss_mb']} MB"),
    ])
    write_json(args.json, result)


if __name__ == "__main__":
    main()
