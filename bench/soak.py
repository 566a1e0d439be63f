"""Soak: an accelerated day of spoken conversations with faults injected, watching for leaks.

    python bench/soak.py [--turns 200] [--json bench/results/soak.json]

The kiosk (`run_kiosk`, fast-paced) hears N spoken questions (Piper voice, the mall pack installed as a
fleet bundle) with the fleet agent embedded, a private Mosquitto and the panel controller simulator
on a pty. Faults on the way: the broker is restarted, the panel controller reboots (power-on defaults:
the kiosk must set mode and brightness again), a corrupt content bundle is pushed (its self-test fails
and is rolled back), the recogniser's engine crashes mid-run (rebuilt in place; the visitor who spoke
then is told the kiosk cannot hear). Audio-device loss needs a sound server and is tested live
(`tests/test_live_audio.py`). Measured: RSS after warm-up vs at the end, open file descriptors and
threads, interaction-log lines vs answered turns, every fault recovered. `tests/test_soak.py` runs a
short version in CI; the targets are growth <= 5 %, no leaked descriptors or threads, no lost lines.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, print_table, process_mb, spoken_questions, write_json, write_wav  # noqa: E402
from bench.soak_faults import MALL  # noqa: E402,F401  (the live soak takes it from here)

QUESTIONS = ["Where is the cinema?", "What time does the mall open?", "Where are the toilets?",
             "How much is parking?", "I lost my bag", "Is there free wifi?", "Where can I eat?",
             "Who are you?", "Can I bring my dog?", "Where is the lift?"]


def _kiosk_threads() -> int:
    """Threads of the kiosk and its agent, not the harness's own fault injectors."""
    return sum(1 for t in threading.enumerate() if not t.name.startswith("soak-fault"))


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def run_soak(folder: Path, turns: int, seed: int = 7) -> dict:
    from bench.soak_faults import FLEET_FAULTS, FaultRig
    from runtime.composition.app import run_kiosk
    from runtime.composition.backends import make_synthesizer
    from runtime.composition.config import KioskConfig
    from runtime.models.manifest import ModelCatalog
    from runtime.ops.event_recorder import EventKind

    rng = random.Random(seed)
    questions = [rng.choice(QUESTIONS) for _ in range(turns)]
    synth = make_synthesizer(ModelCatalog.load(), "en", deterministic=True)
    audio, _ = spoken_questions(synth, questions, gap_s=2.5)
    wav = folder / "visitors.wav"
    write_wav(wav, audio)
    rig = FaultRig(folder)
    cfg = rig.kiosk_config(KioskConfig(input=str(wav), output="null", display="headless", pace="fast",
                                       lang="en", log_dir=folder / "log", width=135, height=240))
    samples: list[dict] = []
    box: dict = {}

    # Each fault at a random turn (seeded), after warm-up, at most one per turn, on its own thread
    # while the visitors keep talking.
    names = list(FLEET_FAULTS)
    at = sorted(rng.sample(range(3, max(turns - 1, 3 + len(names))), len(names)))
    rng.shuffle(names)
    plan = dict(zip(at, names))

    def on_turn(turn: dict) -> None:
        n = len(box["kiosk"].run_state.turns)
        samples.append({"turn": n, "rss_mb": process_mb(), "fds": _fds(), "threads": _kiosk_threads()})
        if n in plan:
            threading.Thread(target=rig.injector(plan.pop(n)), name=f"soak-fault-{n}", daemon=True).start()

    def on_ready(kiosk) -> None:
        box["kiosk"] = kiosk
        rig.attach(kiosk)
        kiosk.events.subscribe(lambda _kind, turn: on_turn(turn), EventKind.TURN)

    started = time.perf_counter()
    report = run_kiosk(cfg, on_ready)
    elapsed = time.perf_counter() - started
    deadline = time.monotonic() + 120
    while plan or len(rig.faults) < len(FLEET_FAULTS):   # a fault still running when the visitors stopped
        if time.monotonic() > deadline:
            break
        for n in list(plan):
            threading.Thread(target=rig.injector(plan.pop(n)), name=f"soak-fault-{n}", daemon=True).start()
        time.sleep(0.5)
    outcome = rig.close(report)
    log_lines = sum(len(p.read_text().splitlines()) for p in (folder / "log").glob("*.log"))
    warm = samples[min(2, len(samples) - 1)]
    end = samples[-1]
    return {
        "machine": machine(), "turns_spoken": turns, "turns_answered": len(report["turns"]),
        "turns_unheard": len(report["unheard_turns"]),
        "seconds": round(elapsed, 1), "log_lines": log_lines,
        "rss_mb": {"after_warm_up": round(warm["rss_mb"], 1), "end": round(end["rss_mb"], 1),
                   "growth_pct": round(100 * (end["rss_mb"] - warm["rss_mb"]) / warm["rss_mb"], 2)},
        "fds": {"after_warm_up": warm["fds"], "end": end["fds"]},
        "threads": {"after_warm_up": warm["threads"], "end": end["threads"]},
        **outcome,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=200)
    ap.add_argument("--json", type=Path, default=Path("bench/results/soak.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = run_soak(Path(tmp), args.turns)
    print_table(f"Soak: {args.turns} spoken questions with faults ({r['machine']})", [
        ("answered / told 'cannot hear' / interaction-log lines",
         f"{r['turns_answered']} / {r['turns_unheard']} / {r['log_lines']}"),
        ("RSS after warm-up -> end", f"{r['rss_mb']['after_warm_up']} -> {r['rss_mb']['end']} MB "
                                     f"({r['rss_mb']['growth_pct']:+.2f} %, target <= 5 %)"),
        ("open fds after warm-up -> end", f"{r['fds']['after_warm_up']} -> {r['fds']['end']}"),
        ("threads after warm-up -> end", f"{r['threads']['after_warm_up']} -> {r['threads']['end']}"),
        ("faults", "; ".join(f"{k}: {v}" for k, v in r["faults"].items())),
        ("agent sessions (reconnects + 1)", str(r["agent_sessions"])),
        ("wall time", f"{r['seconds']} s"),
    ])
    write_json(args.json, r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
