"""Real speech through `edge-avatar run`, as a user runs it, next to the raw engine on the same files.

For every English set under ../shared/speech (folders ending in `-en`), every file is played to
the kiosk with

    .venv/bin/edge-avatar run --content ../shared/venues/mall-demo --lang en --input FILE
        --output null --display headless --report REPORT.json [--asr NAME] [--no-phrase-hints]

one subprocess per file, and the report's `turns[].transcript` (joined in order; a turn another
`continues` is scored in that one, once) is the hypothesis. Beside it: the raw engine decoding the whole file (pocketsphinx with the kiosk's
en-US model and its default search, no endpointing; faster-whisper int8, beam 5, 2 threads, on
the kiosk's Whisper model). Variants: backend (whisper rows appear once `run --help` lists
`--asr`), venue phrase hints on/off (pocketsphinx), clean and every noise in ../shared/noise
mixed under the speech at each SNR (bench/noise_mix.py). Per file and set: reference,
hypothesis, WER, what the report says was dropped; end of speech → final transcript p50/p95 and
the run's peak RSS.

    python bench/asr.py [--sets librivox-en ...] [--backends pocketsphinx whisper-base]
        [--noise none|all|NAME ...] [--snr 10 5] [--also NOISE@SNR ...] [--hints both|venue|none]
        [--jobs 1] [--quick] [--json bench/results/asr.json]
    python bench/asr.py --rescore bench/results/asr.json [--json OUT]    (the table again; runs nothing)

With `--lang zh` the same for every Mandarin set (folders ending in `-zh` or named `mandarin-*`):
`run --lang zh`, scored in characters as ../shared/speech/mandarin-read/README.md scores them (the
table's "WER" columns are then CER), the raw engine given the README's prompt `以下是普通话的句子。`.
Each run's log is read for the recogniser's guards: decodes dropped or cut as loops, and finals that
ran into the wall-time cap.

    python bench/asr.py --lang zh --backends whisper-base --noise none cafe_restaurant_ambience --snr 10
        --json bench/results/asr_zh.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import noise_mix, speech_sets
from bench.common import machine, write_json
from bench.kiosk_runs import (PACK, Condition, Job, asr_choices_from_help, kiosk_asr_choices,  # noqa: F401
                              kiosk_command, run_all, run_job, run_measured, runnable_backends)
from bench.raw_engines import (WHISPER_RAW, PocketsphinxWholeFile, RawUnavailable,  # noqa: F401
                               WhisperWholeFile, raw_engine)
from runtime.shared.errors import ModelError

SHARED = Path(__file__).resolve().parents[2] / "shared"
SPEECH, NOISE = SHARED / "speech", SHARED / "noise"
BACKENDS = ("pocketsphinx", "whisper-base")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lang", choices=("en", "zh"), default="en",
                    help="the sets' language and the kiosk's (`run --lang`); zh is scored in characters")
    ap.add_argument("--sets", nargs="+", help="set folder names (default: every folder of --lang)")
    ap.add_argument("--speech", type=Path, default=SPEECH,
                    help="the folder of speech sets (default ../shared/speech; bench/speech_tune holds the "
                         "tuning sets, never reported)")
    ap.add_argument("--backends", nargs="+", help="default: pocketsphinx and whisper-base (en), whisper-base (zh)")
    ap.add_argument("--noise", nargs="+", default=["all"], help="none, all, or noise file names")
    ap.add_argument("--snr", nargs="+", type=float, default=[10.0, 5.0], help="SNRs in dB for each noise")
    ap.add_argument("--also", nargs="*", default=[], metavar="NOISE@SNR",
                    help="extra noisy conditions, e.g. cafe_restaurant_ambience@5")
    ap.add_argument("--hints", choices=("both", "venue", "none"), default="both",
                    help="pocketsphinx with the venue's phrase hints (default), without, or both")
    ap.add_argument("--pace", choices=("fast", "realtime"), default="fast",
                    help="`run --pace`: fast for word error rates; realtime to measure latency as a visitor "
                         "meets it (decoding overlaps the visitor's speech and the end-of-turn wait)")
    ap.add_argument("--jobs", type=int, default=1, help="kiosk runs at once (default 1: 2 cores)")
    ap.add_argument("--quick", action="store_true", help="one file per set, clean + one noise")
    ap.add_argument("--seed", type=int, default=0, help="seed of the noise excerpts' offsets")
    ap.add_argument("--edge-avatar", type=Path, default=REPO / ".venv" / "bin" / "edge-avatar")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--rescore", type=Path, metavar="RESULT.json",
                    help="print the table again from a result file's per-file rows (runs nothing)")
    return ap.parse_args(argv)


def noise_files(selection: list[str]) -> list[Path]:
    """The noise recordings named (by file name or stem), `all` of ../shared/noise, or none."""
    every = sorted(NOISE.glob("*.wav"))
    if selection in (["none"], []):
        return []
    if "all" in selection:
        return every
    chosen = [p for p in every if p.name in selection or p.stem in selection]
    missing = set(selection) - {p.name for p in chosen} - {p.stem for p in chosen}
    if missing:
        raise SystemExit(f"--noise: no such file in {NOISE}: {', '.join(sorted(missing))}")
    return chosen


def plan_conditions(args: argparse.Namespace) -> list[Condition]:
    noises = noise_files(args.noise)
    snrs = args.snr[:1] if args.quick else args.snr
    pairs = [(n, s) for n in (noises[:1] if args.quick else noises) for s in snrs]
    for extra in args.also:
        name, _, snr = extra.rpartition("@")
        pairs += [(n, float(snr)) for n in noise_files([name])]
    conds = [Condition("clean")]
    for noise, snr in pairs:
        cond = Condition(f"{noise.stem}@{snr:g}dB", noise, snr)
        if cond not in conds:
            conds.append(cond)
    return conds


# -- inputs ------------------------------------------------------------------------------------------
def prepare_inputs(sets: dict, conditions: list[Condition], folder: Path, seed: int) -> tuple[dict, dict]:
    """{(condition, file key): (WAV to play, voiced spans in it)} and {condition: {file key: how it
    was mixed}}."""
    inputs, mixes = {}, {}
    noises = {c.noise: noise_mix.read_wav16(c.noise) for c in conditions if c.noise}
    for cond in conditions:
        mixes[cond.name] = {}
        for f in (f for files in sets.values() for f in files):
            speech = noise_mix.read_wav16(f.wav)
            if cond.noise is None:
                inputs[cond.name, f.key] = (f.wav, tuple(noise_mix.voiced_intervals(speech)))
                continue
            m = noise_mix.mix(speech, noises[cond.noise], cond.snr_db,
                              noise_mix.mix_seed(seed, cond.noise.name, f.key))
            path = noise_mix.write_wav16(folder / f"{cond.name}__{f.set_name}__{f.id}.wav", m.samples)
            inputs[cond.name, f.key] = (path, tuple(noise_mix.voiced_intervals(speech, offset_s=m.lead_s)))
            mixes[cond.name][f.key] = {"offset_s": round(m.offset_s, 3), "noise_gain": round(m.noise_gain, 5),
                                       "clip_scale": round(m.clip_scale, 4),
                                       "measured_snr_db": round(noise_mix.measured_snr(m, speech), 2)}
    return inputs, mixes


def plan_jobs(sets: dict, conditions: list[Condition], backends: list[str], hints: str,
              inputs: dict) -> list[Job]:
    variants = {"both": ["venue", "none"], "venue": ["venue"], "none": ["none"]}[hints]
    return [Job(f, cond, backend, h, *inputs[cond.name, f.key])
            for backend in backends for cond in conditions
            for f in (f for files in sets.values() for f in files)
            for h in (variants if backend == "pocketsphinx" else ["venue"])]


# -- the raw engines, whole file ---------------------------------------------------------------------
def add_raw(rows: list[dict], jobs: list[Job], engines: dict, lang: str = "en") -> None:
    """The raw engine's whole-file hypothesis on each row's very input (decoded once per input)."""
    done: dict[tuple, str] = {}
    for row, job in zip(rows, jobs):
        engine = engines.get(job.backend)
        if engine is None or isinstance(engine, str):
            row.update(raw_hypothesis=None, raw_errors=None, raw_wer=None)
            continue
        key = (job.backend, str(job.wav))
        if key not in done:
            done[key] = engine.decode(job.wav, lang) if lang != "en" else engine.decode(job.wav)
        errors, total = speech_sets.errors_for(lang)(job.file.reference, done[key])
        row.update(raw_hypothesis=done[key], raw_errors=errors, raw_wer=speech_sets.rate(errors, total))


def units(reference: str, lang: str) -> int:
    """Scored units of a reference: words (en), characters (zh)."""
    return len(speech_sets.chars(reference) if lang == "zh" else speech_sets.words(reference))


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=False, capture_output=True, text=True, cwd=REPO).stdout.rstrip()


def source_state() -> str:
    """A digest of the kiosk's source as it is on disk (HEAD plus uncommitted and untracked edits), to
    tell whether it changed while the bench ran (other work goes on in the same tree)."""
    import hashlib
    paths = ("runtime", "models_quantized", "pyproject.toml")
    digest = hashlib.sha256(git("rev-parse", "HEAD").encode())
    digest.update(subprocess.run(["git", "diff", "HEAD", "--binary", "--", *paths], check=False,
                                 capture_output=True, cwd=REPO).stdout)
    for name in sorted(git("ls-files", "--others", "--exclude-standard", "--", *paths).splitlines()):
        digest.update(name.encode() + (REPO / name).read_bytes() if (REPO / name).is_file() else b"")
    return digest.hexdigest()[:16]


def provenance(args: argparse.Namespace) -> dict:
    return {"commit": git("rev-parse", "HEAD"), "describe": git("describe", "--always", "--dirty"),
            "source_state_at_start": source_state(),
            "uncommitted": git("status", "--porcelain", "--untracked-files=no").splitlines(),
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "machine": machine(), "command": "python bench/asr.py " + " ".join(sys.argv[1:]),
            "kiosk_command": " ".join(kiosk_command(Path(os.path.relpath(args.edge_avatar, REPO)),
                                                    Path("FILE.wav"), Path("REPORT.json"), "NAME", "venue",
                                                    False, args.pace)) + " [--asr NAME] [--no-phrase-hints]",
            "pace": args.pace, "speech": os.path.relpath(args.speech, REPO)}


def per_backend(rows: list[dict]) -> dict:
    out = {}
    for backend in sorted({r["backend"] for r in rows}):
        mine = [r for r in rows if r["backend"] == backend]
        lat = [t["speech_end_to_final_ms"] for r in mine for t in r["latencies"]
               if t["speech_end_to_final_ms"] is not None]
        out[backend] = {"speech_end_to_final_ms": {"p50": speech_sets.percentile(lat, 50),
                                                   "p95": speech_sets.percentile(lat, 95), "turns": len(lat)},
                        "peak_rss_mb": max(r["peak_rss_mb"] for r in mine), "runs": len(mine),
                        "run_wall_s_mean": round(sum(r["wall_s"] for r in mine) / len(mine), 2)}
    return out


def headline_rows(summaries: list[dict], lang: str = "en") -> dict:
    """`rows` as bench/benchmarks_doc.py reads it: {name: {"wer": …}} (zh: {"cer": …}), pooled over the sets."""
    out = {}
    metric = "cer" if lang == "zh" else "wer"
    for s in sorted((s for s in summaries if s["set"] == f"all-{lang}"), key=speech_sets.sort_key):
        name = f"{s['backend']}, hints {s['hints']}, {s['condition']}"
        out[f"{name}: through `edge-avatar run`"] = {metric: s["wer"]}
        if s["raw_wer"] is not None:
            out[f"{name}: raw engine, whole file"] = {metric: s["raw_wer"]}
    return out


def print_results(rows: list[dict], summaries: list[dict], backends: dict, skipped: dict, lang: str = "en") -> None:
    print("\nPer file: reference, what the kiosk heard, the raw engine, and what the report says it dropped")
    for row in rows:
        print("\n".join(speech_sets.file_lines(row)))
    print(("\nCER (zh: the WER columns are character error rates)" if lang == "zh" else "\nWER")
          + " through `edge-avatar run` (WER run) next to the raw engine on the same input (WER raw); "
          "no text: files with no transcript; eos→final: end of speech → final transcript")
    print(speech_sets.format_table(speech_sets.TABLE_HEAD, speech_sets.table_rows(summaries)))
    for name, b in backends.items():
        lat = b["speech_end_to_final_ms"]
        print(f"{name}: end of speech → final transcript p50 {speech_sets.fmt_num(lat['p50'])} ms, "
              f"p95 {speech_sets.fmt_num(lat['p95'])} ms over {lat['turns']} turns; peak RSS "
              f"{b['peak_rss_mb']:.0f} MB; {b['runs']} runs, {b['run_wall_s_mean']} s each")
    for s in summaries:
        if s["set"] == f"all-{lang}" and speech_sets.backend_cell(s) != s["backend"]:
            print(f"WARNING: {s['backend']} ({s['hints']}, {s['condition']}): the run reports say "
                  f"asr {'/'.join(s['asr_reported'])}: `run --asr {s['backend']}` did not run it")
    for name, why in skipped.items():
        print(f"{name}: not run ({why})")


def load_engines(backends: list[str]) -> dict:
    engines = {}
    for name in backends:
        try:
            engines[name] = raw_engine(name)
        except (RawUnavailable, ModelError, OSError, RuntimeError, ValueError) as err:
            engines[name] = f"unavailable: {err}"
            print(f"raw {name}: {err}")
    return engines


def results(rows: list[dict], skipped: dict, raw: dict, lang: str = "en") -> dict:
    """Print the per-file lines and the table; the JSON fields computed from the per-file rows."""
    summaries = speech_sets.summarise(rows, f"all-{lang}")
    by_backend = per_backend(rows)
    print_results(rows, summaries, by_backend, skipped, lang)
    return {"backends": {b: {"raw": raw.get(b), **stats} for b, stats in by_backend.items()},
            "summary": sorted(summaries, key=speech_sets.sort_key), "rows": headline_rows(summaries, lang),
            "guards": guards_summary(rows), "files": rows}


def guards_summary(rows: list[dict]) -> dict:
    """The recogniser's guards as the runs' logs tell them (see `kiosk_runs.guard_counts`)."""
    out = {k: sum((r.get("guards") or {}).get(k, 0) for r in rows) for k in ("loop_dropped", "loop_cut", "wall_cap")}
    walls = [r["wall_s"] for r in rows if r.get("wall_s") is not None]
    return {**out, "runs": len(rows), "longest_run_s": max(walls) if walls else None}


def rescore(path: Path, out: Path | None) -> None:
    """The table and summaries again from a result file's per-file rows (no kiosk is run)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    raw = {b: v.get("raw") for b, v in (data.get("backends") or {}).items()}
    data.update(results(data["files"], data.get("skipped_backends") or {}, raw, data.get("lang", "en")))
    data["rescored"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    write_json(out, data)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.rescore:
        return rescore(args.rescore, args.json)
    started = time.perf_counter()
    sets = speech_sets.discover_sets(args.speech, args.sets, args.lang)
    if not sets:
        raise SystemExit(f"no {args.lang} set under {args.speech}" + (f" named {args.sets}" if args.sets else ""))
    args.backends = args.backends or (["whisper-base"] if args.lang == "zh" else list(BACKENDS))
    if args.quick:
        sets = {name: files[:1] for name, files in sets.items()}
    has_asr, choices = kiosk_asr_choices(args.edge_avatar)
    skipped = runnable_backends(args.backends, has_asr, choices)
    backends = [b for b in args.backends if b not in skipped]
    conditions = plan_conditions(args)
    info = provenance(args)
    print(f"machine: {info['machine']}\nsets: " + ", ".join(f"{k} ({len(v)})" for k, v in sets.items())
          + f"\nbackends: {', '.join(backends)}; conditions: {', '.join(c.name for c in conditions)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-asr-") as tmp:
        inputs, mixes = prepare_inputs(sets, conditions, Path(tmp), args.seed)
        jobs = plan_jobs(sets, conditions, backends, args.hints, inputs)
        engines = load_engines(backends)
        print(f"{len(jobs)} kiosk runs", flush=True)
        rows = run_all(jobs, args.edge_avatar, has_asr, Path(tmp), args.jobs, args.pace, args.lang)
        add_raw(rows, jobs, engines, args.lang)
    computed = results(rows, skipped, {b: getattr(e, "description", e) for b, e in engines.items()}, args.lang)
    seconds = round(time.perf_counter() - started, 1)
    info.update(source_state_at_end=source_state(), commit_at_end=git("rev-parse", "HEAD"))
    if info["source_state_at_end"] != info["source_state_at_start"]:
        print("WARNING: the kiosk's source changed on disk while the bench ran (other work in this tree): "
              "the runs did not all run the same code")
    print(f"\n{len(rows)} runs in {seconds} s")
    write_json(args.json, {
        **info, "lang": args.lang, "metric": "cer" if args.lang == "zh" else "wer", "seconds": seconds,
        "sets": {k: {"files": len(v), "units": sum(units(f.reference, args.lang) for f in v)} for k, v in sets.items()},
        "words": sum(units(f.reference, args.lang) for v in sets.values() for f in v),
        "skipped_backends": skipped, "conditions": [c.name for c in conditions],
        "mix_recipe": noise_mix.__doc__.strip(), "seed": args.seed, "mixes": mixes, **computed})
    return None


if __name__ == "__main__":
    main()
