"""Shared benchmark plumbing: spoken test questions, percentiles, the table and the JSON."""

from __future__ import annotations

import datetime
import json
import platform
import subprocess
import wave
from pathlib import Path

import numpy as np

from runtime.audio.chunk import AudioChunk
from runtime.audio.levels import speech_bounds


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return f"{platform.machine()}, {cores} cores, {cpu}, Python {platform.python_version()}"


def provenance() -> dict:
    """What a result was measured on: the git commit (`-dirty` when the tree has changes) and the UTC time."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], capture_output=True, text=True, timeout=30,
                                  cwd=Path(__file__).resolve().parent).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit + ("-dirty" if dirty else ""),
            "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


def spoken_questions(synth, questions: list[str], gap_s: float, lead_s: float = 1.0):
    """One 16 kHz WAV-ready chunk with every question, and each question's true speech span."""
    rate = synth.rate
    parts, spans, t = [np.zeros(int(lead_s * rate), dtype=np.float32)], [], lead_s
    for q in questions:
        speech = np.concatenate([s.audio.float_samples() for s in synth.synthesize(q)])
        first, last = speech_bounds(speech, rate)
        spans.append((t + first, t + last))
        parts += [0.6 * speech, np.zeros(int(gap_s * rate), dtype=np.float32)]
        t += len(speech) / rate + gap_s
    return AudioChunk.from_float(np.concatenate(parts), rate).converted(rate=16000), spans


def write_wav(path: Path, chunk: AudioChunk) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(chunk.rate)
        wav.writeframes(chunk.audio)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}\n" + "-" * (width + 24))
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


def write_json(path: Path | None, data: dict) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nwrote {path}")


def process_mb(field: str = "VmRSS", pid: int | str = "self") -> float:
    """A memory line of /proc/PID/status in MB (VmRSS: resident now, VmHWM: peak); 0.0 when the
    process is gone or the line is missing."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
