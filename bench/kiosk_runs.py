"""One `edge-avatar run` per input file, as a user runs it, measured: the command, its exit code,
wall time and peak RSS, and the per-file row bench/asr.py scores (transcript, WER, what the report
says was dropped, latencies, voiced seconds outside any turn)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench import speech_sets

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PACK = SHARED / "venues" / "mall-demo"
RUN_TIMEOUT_S = 180


@dataclass(frozen=True)
class Condition:
    name: str                 # "clean" or "<noise stem>@<snr>dB"
    noise: Path | None = None
    snr_db: float | None = None


@dataclass(frozen=True)
class Job:
    file: speech_sets.SpeechFile
    condition: Condition
    backend: str
    hints: str                # "venue" (the kiosk's default) or "none" (--no-phrase-hints)
    wav: Path
    voiced: tuple[tuple[float, float], ...] = ()   # the speech's voiced spans on the input's time line


# -- what to run -------------------------------------------------------------------------------------

def kiosk_asr_choices(edge_avatar: Path) -> tuple[bool, list[str] | None]:
    """Does `edge-avatar run` take `--asr`, and which names does its help list?"""
    out = subprocess.run([*launcher(edge_avatar), "run", "--help"], check=False, capture_output=True,
                         text=True, cwd=REPO, timeout=120).stdout
    return asr_choices_from_help(out)


def asr_choices_from_help(text: str) -> tuple[bool, list[str] | None]:
    match = re.search(r"--asr[ =]\{([^}]*)\}", text)
    if match:
        return True, [c.strip() for c in match.group(1).split(",")]
    return bool(re.search(r"--asr\b", text)), None


def runnable_backends(requested: list[str], has_asr: bool, choices: list[str] | None) -> dict[str, str]:
    """{backend: why not} for the requested backends `run` cannot take; the rest run."""
    skipped = {}
    for name in requested:
        if name == "pocketsphinx":
            continue
        if not has_asr:
            skipped[name] = "`edge-avatar run --help` lists no --asr option yet"
        elif choices is not None and name not in choices:
            skipped[name] = f"`run --asr` offers {', '.join(choices)}"
    return skipped


# -- one kiosk run -----------------------------------------------------------------------------------
def launcher(edge_avatar: Path) -> list[str]:
    """The `edge-avatar` script when it exists, else `python -m runtime` on this checkout (a worktree
    without its own .venv: the same code a user's script runs)."""
    return [str(edge_avatar)] if Path(edge_avatar).exists() else [sys.executable, "-m", "runtime"]


def kiosk_command(edge_avatar: Path, wav: Path, report: Path, backend: str, hints: str,
                  has_asr: bool, pace: str = "fast", lang: str = "en") -> list[str]:
    cmd = [*launcher(edge_avatar), "run", "--content", os.path.relpath(PACK, REPO), "--lang", lang,
           "--input", str(wav), "--output", "null", "--display", "headless", "--report", str(report),
           "--pace", pace]
    if has_asr:
        cmd += ["--asr", backend]
    return cmd + (["--no-phrase-hints"] if hints == "none" else [])


def run_measured(cmd: list[str], log: Path, timeout_s: float = RUN_TIMEOUT_S) -> tuple[int, float, float]:
    """(exit code, wall seconds, peak RSS in MB) of one subprocess; its output goes to `log`."""
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=REPO)
        killer = threading.Timer(timeout_s, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.perf_counter() - started, usage.ru_maxrss / 1024


def run_job(job: Job, edge_avatar: Path, has_asr: bool, folder: Path, pace: str = "fast", lang: str = "en") -> dict:
    """The kiosk on one file: one per-file row (without the raw engine's figures); `lang`: the
    language the file is in, the kiosk's home language (zh is scored in characters)."""
    stem = f"{job.backend}__{job.hints}__{job.condition.name}__{job.file.set_name}__{job.file.id}"
    report_path, log = folder / f"{stem}.json", folder / f"{stem}.log"
    cmd = kiosk_command(edge_avatar, job.wav, report_path, job.backend, job.hints, has_asr, pace, lang)
    code, wall, rss = run_measured(cmd, log)
    report, failed = {}, None
    if code == 0 and report_path.exists():
        report = json.loads(report_path.read_text(encoding="utf-8"))
    else:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        failed = f"exit {code}: " + " | ".join(tail)
    hyp = speech_sets.hypothesis(report)
    errors, total = speech_sets.errors_for(lang)(job.file.reference, hyp)
    voiced_s = round(sum(b - a for a, b in job.voiced), 3)
    return {"set": job.file.set_name, "id": job.file.id, "backend": job.backend, "hints": job.hints,
            "condition": job.condition.name, "reference": job.file.reference, "hypothesis": hyp,
            "errors": errors, "words": total, "wer": speech_sets.rate(errors, total),
            "asr_reported": (report.get("backends") or {}).get("asr"), "failed": failed,
            "latencies": speech_sets.turn_latencies(report), "dropped": speech_sets.dropped(report),
            "voiced_s": voiced_s,
            "voiced_outside_turns_s": speech_sets.seconds_outside(list(job.voiced), speech_sets.turn_spans(report)),
            "turn_spans_s": speech_sets.turn_spans(report), "peak_rss_mb": round(rss, 1), "wall_s": round(wall, 2),
            "input_seconds": report.get("input_seconds"),
            "turn_languages": [t.get("lang") for t in report.get("turns") or []],
            "guards": guard_counts(log.read_text(encoding="utf-8", errors="replace"))}


def guard_counts(log: str) -> dict[str, int]:
    """The recogniser's guards as a run's log tells them: decodes dropped as loops, loops cut at the
    repeat, finals that waited out the wall-time cap (runtime/asr/whisper_decoder.py, whisper_asr.py)."""
    return {"loop_dropped": len(re.findall(r"whisper: dropped .*\(loop;", log)),
            "loop_cut": log.count("repeats itself even when decoded greedily"),
            "wall_cap": len(re.findall(r"whisper: no transcript [\d.]+ s after the turn ended", log))}


# -- the run -----------------------------------------------------------------------------------------
def run_all(jobs: list[Job], edge_avatar: Path, has_asr: bool, folder: Path, workers: int,
            pace: str = "fast", lang: str = "en") -> list[dict]:
    def one(job: Job) -> dict:
        row = run_job(job, edge_avatar, has_asr, folder, pace, lang)
        status = "FAILED" if row["failed"] else f"WER {speech_sets.fmt_pct(row['wer'])}"
        print(f"  {row['backend']:<12} {row['hints']:<5} {row['condition']:<40} {row['set']}/{row['id']:<26} "
              f"{status}  {row['wall_s']:.1f} s  {row['peak_rss_mb']:.0f} MB", flush=True)
        return row
    if workers <= 1:
        return [one(j) for j in jobs]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, jobs))
