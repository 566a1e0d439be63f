"""Live soak: spoken turns through a real microphone and speaker (PortAudio on a private PulseAudio),
in real time, with every fault of issue 11 injected at random turns in the same run, watching for leaks.

    python bench/live_soak.py [--turns 200] [--losses 4] [--json bench/results/live_soak.json]

Each turn plays one question into the visitor's sink and waits for the kiosk to answer it (or to say
it cannot hear, on the turn its recogniser crashed). Faults, each at a seeded random turn after
warm-up: the sound server killed, left dead 4 s and started again (`--losses` times: microphone and
speaker vanish and come back); and once each, on their own thread while the visitor speaks, a broker
restart, a panel-controller reboot, a corrupt content push and a recogniser crash (`bench/soak_faults.py`:
the fleet agent runs inside the kiosk, the controller simulator is on a pty). Memory growth is judged
from a baseline taken after warm-up (the median RSS of turns 10–20 % of the run) to the median of the
last 10 % of turns, so one allocation swing at a single sample does not decide it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, print_table, spoken_questions, write_json, write_wav  # noqa: E402
from bench.common import process_mb  # noqa: E402
from bench.soak import QUESTIONS, _fds  # noqa: E402
from bench.soak_faults import FLEET_FAULTS, MALL, FaultRig  # noqa: E402

AUDIO_LOSS = "audio device loss"


def _os_threads() -> int:
    """Threads the kernel counts (PortAudio's callback threads included). Python's own list would
    keep a stale entry for every callback thread of a closed stream, which is not a leak."""
    return len(os.listdir("/proc/self/task"))


def settled(count: Callable[[], int], seconds: float = 3.0) -> int:
    """The fewest of `count()` over `seconds`: threads that were only passing through (a rebuild, a
    reconnect, a fault still being undone) are gone; a leaked one stays."""
    low, deadline = count(), time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.1)
        low = min(low, count())
    return low


def thread_trend(counts: list[int]) -> float:
    """Threads gained per turn: the Theil-Sen slope (the median of the slopes between every pair of
    samples). A leak climbs turn after turn and moves it (one thread per turn: 1.0); one thread that
    started late for good, or one passing through when a turn was sampled, does not."""
    slopes = [(counts[j] - counts[i]) / (j - i) for i in range(len(counts)) for j in range(i + 1, len(counts))]
    return round(statistics.median(slopes), 3) if slopes else 0.0


def fault_plan(rng: random.Random, turns: int, losses: int, fleet: bool) -> dict[int, str]:
    """Which fault comes before which turn: at most one per turn, none in the first two."""
    names = [AUDIO_LOSS] * losses + (list(FLEET_FAULTS) if fleet else [])
    slots = list(range(2, max(3, turns - 1)))
    names = names[:len(slots)]
    rng.shuffle(names)
    return dict(zip(sorted(rng.sample(slots, len(names))), names))


def memory_growth(samples: list[float]) -> dict:
    """Median RSS of the last 10 % of turns against the median of turns 10–20 % in (after warm-up)."""
    n = len(samples)
    base = samples[max(1, n // 10): max(2, n // 5)] or samples[:1]
    tail = samples[-max(1, n // 10):]
    b, e = statistics.median(base), statistics.median(tail)
    return {"baseline": round(b, 1), "end": round(e, 1), "growth_pct": round(100 * (e - b) / b, 2),
            "max": round(max(samples), 1)}


def run_live_soak(folder: Path, turns: int, losses: int, seed: int = 11, fleet: bool = True) -> dict:
    from runtime.composition.app import run_kiosk
    from runtime.composition.backends import make_synthesizer
    from runtime.composition.config import KioskConfig
    from runtime.models.manifest import ModelCatalog
    from runtime.ops.event_recorder import EventKind
    from tests.pulse import pulse_env, start_pulse, stop_pulse

    rng = random.Random(seed)
    synth = make_synthesizer(ModelCatalog.load(), "en", deterministic=True)
    wavs = []
    for i in range(turns):
        audio, _ = spoken_questions(synth, [rng.choice(QUESTIONS)], gap_s=0.3, lead_s=0.2)
        wavs.append(folder / f"q{i}.wav")
        write_wav(wavs[-1], audio)
    plan = fault_plan(rng, turns, losses, fleet)
    rig = FaultRig(folder) if fleet else None
    env = pulse_env(folder)
    saved = {k: os.environ.get(k) for k in ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH")}
    os.environ.update({k: env[k] for k in saved})      # PortAudio in this process talks to our daemon
    start_pulse(env)
    box: dict = {}
    answered = threading.Event()
    samples: list[dict] = []
    injected: list[threading.Thread] = []
    outages: list[int] = []

    def on_turn(_turn: dict) -> None:
        answered.set()

    def on_ready(kiosk) -> None:
        box["kiosk"] = kiosk
        if rig is not None:
            rig.attach(kiosk)
        kiosk.events.subscribe(lambda _kind, turn: on_turn(turn), EventKind.TURN)
        threading.Thread(target=visitors, name="soak-visitors", daemon=True).start()

    def heard(kiosk, unheard_before: int, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if answered.wait(0.1):
                return "answered"
            if len(kiosk.run_state.unheard) > unheard_before:
                return "told it cannot hear"
        return None

    settled_end: dict[str, int] = {}   # threads and descriptors once every fault and answer is done

    def visitors() -> None:
        kiosk = box["kiosk"]
        try:
            time.sleep(1.0)
            kiosk.listener.recognizer.wait_loaded(60)
            for i, wav in enumerate(wavs):
                fault = plan.get(i)
                if fault == AUDIO_LOSS:
                    stop_pulse(env)                              # the USB sound card is pulled
                    time.sleep(4.0)
                    start_pulse(env)                             # and plugged back in
                    time.sleep(4.0)                              # the kiosk reopens within 3 s
                    outages.append(i)
                elif fault is not None:                          # while this visitor speaks
                    injected.append(threading.Thread(target=rig.injector(fault), name=f"soak-fault-{i}",
                                                     daemon=True))
                    injected[-1].start()
                answered.clear()
                unheard_before = len(kiosk.run_state.unheard)
                subprocess.run(["paplay", "--device=visitor", str(wav)], env=env, check=True, timeout=30)
                outcome = heard(kiosk, unheard_before, 20)
                samples.append({"turn": i, "outcome": outcome, "fault": fault, "rss_mb": process_mb(),
                                "fds": _fds(), "threads": _os_threads()})
                until = time.monotonic() + 60                    # the next visitor waits for the answer's end
                while kiosk.speech.speaking(kiosk.source.now()) and time.monotonic() < until:
                    time.sleep(0.1)
                time.sleep(0.5)
            for t in injected:
                t.join(150)
            until = time.monotonic() + 60
            while kiosk.speech.speaking(kiosk.source.now()) and time.monotonic() < until:
                time.sleep(0.1)
            settled_end.update(threads=settled(_os_threads), fds=settled(_fds))
        finally:
            kiosk.post(lambda: setattr(kiosk, "stop_requested", "live soak finished"))

    cfg = KioskConfig(content_dir=MALL, input="mic", output="speaker", display="headless", pace="realtime",
                      lang="en", log_dir=folder / "log", width=135, height=240)
    cfg = rig.kiosk_config(cfg) if rig is not None else cfg
    started = time.perf_counter()
    try:
        report = run_kiosk(cfg, on_ready)
    finally:
        stop_pulse(env)
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    outcome = rig.close(report) if rig is not None else {"faults": {}}
    if outages:
        after = [s for s in samples if s["turn"] in outages]
        outcome["faults"][AUDIO_LOSS] = (f"{sum(s['outcome'] == 'answered' for s in after)}/{len(after)} "
                                         "next questions answered")
    warm = samples[min(2, len(samples) - 1)]
    end = settled_end or samples[-1]
    per_turn = [s["threads"] for s in samples[min(2, len(samples) - 1):]] + [end["threads"]]
    log_lines = sum(len(p.read_text().splitlines()) for p in (folder / "log").glob("*.log"))
    return {
        "machine": machine(), "turns_spoken": turns, "turns_answered": len(report["turns"]),
        "turns_unheard": len(report["unheard_turns"]),
        "unanswered_turns": [s["turn"] for s in samples if s["outcome"] is None],
        "audio_losses": len(outages), "fault_plan": {str(k): v for k, v in sorted(plan.items())},
        "log_lines": log_lines, "seconds": round(time.perf_counter() - started, 1),
        "rss_mb": memory_growth([s["rss_mb"] for s in samples]),
        "rss_mb_every_10_turns": [round(s["rss_mb"], 1) for s in samples[::10]],
        "malloc_arena_max": os.environ.get("MALLOC_ARENA_MAX"),
        "fds": {"after_warm_up": warm["fds"], "end": end["fds"]},
        "threads": {"after_warm_up": warm["threads"], "end": end["threads"], "per_turn": per_turn,
                    "trend_per_turn": thread_trend(per_turn)},
        **outcome,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=200)
    ap.add_argument("--losses", type=int, default=4)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--json", type=Path, default=Path("bench/results/live_soak.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = run_live_soak(Path(tmp), args.turns, args.losses, args.seed)
    m = r["rss_mb"]
    print_table(f"Live soak: {args.turns} spoken turns, every fault in one run ({r['machine']})", [
        ("answered / told 'cannot hear' / interaction-log lines",
         f"{r['turns_answered']} / {r['turns_unheard']} / {r['log_lines']}"),
        ("turns with no reply", str(r["unanswered_turns"] or "none")),
        ("faults (before turn)", ", ".join(f"{k}: {v}" for k, v in r["fault_plan"].items())),
        ("recovery", "; ".join(f"{k}: {v}" for k, v in r["faults"].items())),
        ("RSS baseline -> end (medians)", f"{m['baseline']} -> {m['end']} MB ({m['growth_pct']:+.2f} %, "
                                          f"target <= 5 %; max {m['max']} MB)"),
        ("open fds after warm-up -> end", f"{r['fds']['after_warm_up']} -> {r['fds']['end']}"),
        ("threads after warm-up -> end", f"{r['threads']['after_warm_up']} -> {r['threads']['end']}"),
        ("wall time", f"{r['seconds']} s"),
    ])
    write_json(args.json, r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
