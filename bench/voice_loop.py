"""End of speech -> first answer audio, through `edge-avatar run` with real-time input.

Spoken questions (Piper, deterministic) are played into `run` in real time, in several sessions (one
`run` process each, the questions rotated so each session opens with another one). From each report:
first_audio_ms minus the true end of speech in the input; the first question of each session (a cold
process, a new visitor: it pays for the spoken disclosure and whatever is still cold) is reported
apart from the rest. The sessions share one data folder, into which the pack's answers are first
synthesised (the answer cache, as when the pack is installed; `--repo` code without one skips it).
In the same run, the raw engines alone on the same audio and text: pocketsphinx decoding each
question whole, and Piper synthesising each answer whole. Peak RSS is the largest session `run`'s (the
kernel's for that process alone; the install run, which synthesises every answer, is not counted).

    python bench/voice_loop.py [--json OUT] [--questions N] [--sessions N] [--repo CHECKOUT] [--lang zh]

`--lang zh`: Mandarin questions (`QUESTIONS_ZH`, spoken by Kokoro's `jm_kumo`, not the kiosk's own
speaker) to `run --lang zh`, which loads both languages (Whisper finds each turn's language; the zh and
en voices are both loaded and their answers cached): the raw engines' figures are English-only and
left out.

`--repo /other/checkout` runs that checkout's kiosk under the same benchmark (old code side by side).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, pct, print_table, spoken_questions, write_json, write_wav  # noqa: E402
from runtime.audio.chunk import AudioChunk  # noqa: E402
from runtime.composition.backends import make_synthesizer  # noqa: E402
from runtime.dialogue.content_pack import load_content_pack  # noqa: E402
from runtime.models.manifest import ModelCatalog  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

MALL = Path(__file__).resolve().parents[2] / "shared" / "venues" / "mall-demo"
QUESTIONS = [
    "Where is the cinema?", "Where is the supermarket?", "Can I bring my dog?",
    "Where can I charge my phone?", "Where is the ATM?", "Where can I eat?",
    "Where is the lost and found?", "Where is the service desk?", "Is there a smoking room?",
    "Can I borrow a stroller?",
]
QUESTIONS_ZH = [
    "电影院在哪里？", "超市在几楼？", "可以带狗进来吗？", "哪里可以给手机充电？", "附近有取款机吗？",
    "哪里可以吃饭？", "失物招领在哪里？", "服务台在哪里？", "有吸烟室吗？", "可以借婴儿车吗？",
]
VISITOR_VOICE_ZH = "jm_kumo"     # a Kokoro speaker the kiosk does not speak with (it uses jf_gongitsune)


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


LANG = {"value": "en"}    # --lang: the kiosk's home language and the questions'


def run_kiosk(repo: Path, data: Path, wav: Path, report_path: Path, *extra: str) -> tuple[dict, float]:
    """One `edge-avatar run` of `repo`'s code on `wav` (real time unless `extra` says otherwise): its
    report and its own peak RSS in MB (the kernel's, from wait4: this run alone, not the install's)."""
    cmd = [sys.executable, "-m", "runtime", "run", "--content", str(MALL), "--lang", LANG["value"],
           "--input", str(wav), "--output", "null", "--display", "headless",
           "--pace", "realtime", "--report", str(report_path), *extra]
    env = {**os.environ, "PYTHONPATH": str(repo), "EDGE_AVATAR_DATA": str(data),
           "PYTHONDONTWRITEBYTECODE": "1"}      # nothing written into another checkout
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, cwd=repo, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status):
            log.seek(0)
            sys.exit(f"run failed:\n{log.read().decode(errors='replace')}")
    return json.loads(report_path.read_text(encoding="utf-8")), usage.ru_maxrss / 1024


def install_answers(repo: Path, data: Path, tmp: Path) -> float | None:
    """Synthesise the pack's answers into the data folder's cache, as a pack install does (a short
    silent run with the cache built first); None when `repo`'s kiosk has no answer cache."""
    if not (repo / "runtime" / "tts" / "answer_cache").is_dir():
        return None
    silence = tmp / "silence.wav"
    write_wav(silence, AudioChunk.silence(1.0, 16000))
    started = time.perf_counter()
    run_kiosk(repo, data, silence, tmp / "install.json", "--pace", "fast", "--answer-cache", "on")
    return time.perf_counter() - started


def session_rows(report: dict, spans) -> list[dict]:
    rows = []
    for turn in report["turns"]:
        t = turn["timings"]
        true_end = min(spans, key=lambda s: abs(s[1] * 1000 - t["speech_end_ms"]))[1]
        rows.append({"transcript": turn["transcript"], "intent": turn["intent"],
                     "latency": t["first_audio_ms"] - true_end * 1000, "wait": t["endpoint_wait_ms"],
                     "speculative": turn["speculative"],
                     "parts": (t["speech_end_ms"] - true_end * 1000, t["turn_end_ms"] - t["speech_end_ms"],
                               t["answer_ready_ms"] - t["turn_end_ms"], t["first_audio_ms"] - t["answer_ready_ms"])})
    return rows


def latency(values: list[float]) -> dict:
    return {"p50": round(pct(values, 50)) if values else None, "p95": round(pct(values, 95)) if values else None,
            "n": len(values)}


def run_sessions(args, visitor, tmp: Path) -> tuple[list[list[dict]], list[dict], float | None, float]:
    """Every session's rows and reports, the install time, and the largest session `run`'s peak RSS (MB)."""
    data = tmp / "data"
    installed_s = install_answers(args.repo, data, tmp)
    sessions, reports, peak_rss_mb = [], [], 0.0
    for k in range(args.sessions):
        shift = (3 * k) % len(QUESTIONS)
        pool = QUESTIONS_ZH if args.lang == "zh" else QUESTIONS
        questions = (pool[shift:] + pool[:shift])[:args.questions]
        audio, spans = spoken_questions(visitor, questions, gap_s=args.gap)
        wav = tmp / f"session{k}.wav"
        write_wav(wav, audio)
        report, rss = run_kiosk(args.repo, data, wav, tmp / f"report{k}.json")
        peak_rss_mb = max(peak_rss_mb, rss)
        reports.append(report)
        sessions.append(session_rows(report, spans))
        print(f"session {k + 1}: " + ", ".join(f"{r['latency']:.0f}" for r in sessions[-1]) + " ms")
    return sessions, reports, installed_s, peak_rss_mb


def cache_totals(reports: list[dict]) -> dict | None:
    caches = [r.get("answer_cache") for r in reports if r.get("answer_cache")]
    if not caches:
        return None
    return {k: sum(c[k] for c in caches) for k in ("hits", "misses", "first_piece_hits", "first_piece_misses")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--questions", type=int, default=6, help="questions per session")
    ap.add_argument("--sessions", type=int, default=3, help="`run` processes, each a new visitor")
    ap.add_argument("--gap", type=float, default=9.0, help="seconds between questions")
    ap.add_argument("--repo", type=Path, default=REPO, help="the checkout whose kiosk is measured")
    ap.add_argument("--no-raw", action="store_true", help="skip the raw engines' figures")
    ap.add_argument("--lang", choices=("en", "zh"), default="en", help="the questions' and the kiosk's language")
    args = ap.parse_args()
    LANG["value"] = args.lang
    args.no_raw = args.no_raw or args.lang == "zh"

    catalog = ModelCatalog.load()
    visitor = (make_synthesizer(catalog, "zh", voice=VISITOR_VOICE_ZH) if args.lang == "zh"
               else make_synthesizer(catalog, "en", deterministic=True))
    with tempfile.TemporaryDirectory() as tmp:
        sessions, reports, installed_s, peak_rss_mb = run_sessions(args, visitor, Path(tmp))
    rows = [r for s in sessions for r in s]
    first = [s[0]["latency"] for s in sessions if s]
    rest = [r["latency"] for s in sessions for r in s[1:]]
    print(f"machine: {machine()}")
    print(f"{'question heard':44} {'intent':16} {'first audio after end':>22} speculated")
    for r in rows:
        print(f"{r['transcript'][:44]:44} {str(r['intent']):16} {r['latency']:>19.0f} ms "
              f"{'yes' if r['speculative'] else 'no':>10}")
    result = {
        "repo": str(args.repo), "lang": args.lang,
        "commit": subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False,
                                 cwd=args.repo).stdout.strip(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": "python bench/voice_loop.py " + " ".join(sys.argv[1:]),
        "languages_loaded": sorted({(r.get("backends") or {}).get("languages", r.get("lang")) for r in reports}),
        "turn_languages": sorted({str(t.get("lang")) for r in reports for t in r.get("turns") or []}),
        "asr": sorted({(r.get("backends") or {}).get("asr", "?") for r in reports}),
        "tts": sorted({(r.get("backends") or {}).get("tts", "?") for r in reports}),
        "first_audio_after_speech_end_ms": latency([r["latency"] for r in rows]),
        "first_question_of_session_ms": latency(first),
        "later_questions_ms": latency(rest),
        "sessions": args.sessions, "questions_per_session": args.questions,
        "answer_cache": cache_totals(reports),
        "answer_cache_install_s": round(installed_s, 1) if installed_s is not None else None,
        "peak_rss_mb": round(peak_rss_mb, 1),
        "endpoint_wait_ms": {"mean": round(statistics.mean(r["wait"] for r in rows)) if rows else None},
        "breakdown_mean_ms": dict(zip(("vad_end_lag", "endpoint_wait", "asr_and_match", "to_sink"),
                                      (round(statistics.mean(r["parts"][i] for r in rows)) for i in range(4)))),
        "turns": len(rows),
        "speculation_used": sum(1 for r in rows if r["speculative"]),
        "machine": machine(),
    }
    table = [
        ("end of speech -> first audio p50 / p95 (all)",
         f"{result['first_audio_after_speech_end_ms']['p50']} / {result['first_audio_after_speech_end_ms']['p95']} ms"),
        ("  first question of each session p50 / p95",
         f"{result['first_question_of_session_ms']['p50']} / {result['first_question_of_session_ms']['p95']} ms"
         f" (n={len(first)})"),
        ("  later questions p50 / p95",
         f"{result['later_questions_ms']['p50']} / {result['later_questions_ms']['p95']} ms (n={len(rest)})"),
        ("endpoint silence waited (mean)", f"{result['endpoint_wait_ms']['mean']} ms"),
        ("  mean parts: VAD end lag / wait / ASR+match / to sink",
         " / ".join(f"{v} ms" for v in result["breakdown_mean_ms"].values())),
        ("answers started speculatively", f"{result['speculation_used']}/{len(rows)}"),
        ("answer cache: pieces hit / missed (first pieces)",
         "-" if not result["answer_cache"] else
         f"{result['answer_cache']['hits']} / {result['answer_cache']['misses']} "
         f"({result['answer_cache']['first_piece_hits']} / {result['answer_cache']['first_piece_misses']})"),
        ("peak RSS of `run`", f"{result['peak_rss_mb']} MB"),
    ]
    if not args.no_raw:
        result.update(raw_figures(catalog, rows, visitor))
        table += [
            ("ASR RTF, kiosk streaming settings", f"{result['asr_rtf']}"),
            ("ASR RTF, raw pocketsphinx whole-utterance", f"{result['raw_asr_rtf']}"),
            ("raw pocketsphinx final after audio (p50)", f"{result['raw_asr_final_after_audio_ms']['p50']} ms"),
            ("TTS RTF (Piper, kiosk)", f"{result['tts_rtf']}"),
            ("TTS first chunk, kiosk (median)", f"{result['tts_first_chunk_ms']} ms"),
            ("TTS first chunk, raw Piper (median)", f"{result['raw_tts_first_chunk_ms']} ms")]
    print_table(f"voice loop (real-time input through `edge-avatar run`, {args.repo})", table)
    write_json(args.json, result)


def raw_figures(catalog, rows: list[dict], visitor) -> dict:
    """The engines alone on the same questions and answers."""
    pack = load_content_pack(MALL)
    texts = list(dict.fromkeys(pack.intent(r["intent"]).answers["en"] if r["intent"] else pack.fallback["en"]
                               for r in rows))
    tts = tts_figures(catalog, texts)
    audio, spans = spoken_questions(visitor, QUESTIONS, gap_s=2.0)
    raw_latencies, raw_rtf = raw_asr(catalog, audio, spans)
    return {"asr_rtf": round(kiosk_asr_rtf(catalog, audio, spans), 3), "tts_rtf": round(tts["rtf"], 3),
            "tts_first_chunk_ms": round(tts["our_first"], 1), "raw_tts_first_chunk_ms": round(tts["raw_first"], 1),
            "raw_asr_rtf": round(raw_rtf, 3), "raw_asr_final_after_audio_ms": {"p50": round(pct(raw_latencies, 50))}}


if __name__ == "__main__":
    main()
