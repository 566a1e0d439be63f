"""Live soak: spoken turns through a real microphone and speaker (PortAudio on a private PulseAudio),
in real time, with the sound server killed and restarted at random turns (the audio device lost
and back), watching for leaks.

    python bench/live_soak.py [--turns 60] [--losses 3] [--json bench/results/live_soak.json]

Each turn plays one question into the visitor's sink and waits for the kiosk to answer it. At each
loss turn the daemon is killed (microphone and speaker vanish), left dead for 4 s and started again;
the next question must be answered. Measured: answered turns, turns lost around the outages, RSS,
threads and descriptors after warm-up vs at the end. `tests/test_soak.py` runs a short version.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, print_table, spoken_questions, write_json, write_wav  # noqa: E402
from bench.soak import MALL, QUESTIONS, _fds, _rss_mb  # noqa: E402


def _os_threads() -> int:
    """Threads the kernel counts (PortAudio's callback threads included). Python's own list would
    keep a stale entry for every callback thread of a closed stream, which is not a leak."""
    return len(os.listdir("/proc/self/task"))


def run_live_soak(folder: Path, turns: int, losses: int, seed: int = 11) -> dict:
    from runtime.app import run_kiosk
    from runtime.backends import make_synthesizer
    from runtime.config import KioskConfig
    from runtime.models import ModelCatalog
    from tests.pulse import pulse_env, start_pulse, stop_pulse

    rng = random.Random(seed)
    synth = make_synthesizer(ModelCatalog.load(), "en", deterministic=True)
    questions = [rng.choice(QUESTIONS) for _ in range(turns)]
    wavs = []
    for i, q in enumerate(questions):
        audio, _ = spoken_questions(synth, [q], gap_s=0.3, lead_s=0.2)
        wavs.append(folder / f"q{i}.wav")
        write_wav(wavs[-1], audio)
    loss_turns = set(rng.sample(range(2, max(3, turns - 1)), min(losses, max(0, turns - 3))))
    env = pulse_env(folder)
    saved = {k: os.environ.get(k) for k in ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH")}
    os.environ.update({k: env[k] for k in saved})      # PortAudio in this process talks to our daemon
    start_pulse(env)
    box: dict = {}
    answered = threading.Event()
    samples: list[dict] = []
    outages: list[dict] = []

    def on_turn(_turn: dict) -> None:
        answered.set()

    def on_ready(kiosk) -> None:
        box["kiosk"] = kiosk
        kiosk.turn_listeners.append(on_turn)
        threading.Thread(target=visitors, name="soak-visitors", daemon=True).start()

    def visitors() -> None:
        kiosk = box["kiosk"]
        try:
            time.sleep(1.0)
            kiosk.listener.recognizer.wait_loaded(60)
            for i, wav in enumerate(wavs):
                if i in loss_turns:
                    stop_pulse(env)                              # the USB sound card is pulled
                    time.sleep(4.0)
                    start_pulse(env)                             # and plugged back in
                    time.sleep(4.0)                              # the kiosk reopens within 3 s
                    outages.append({"before_turn": i})
                answered.clear()
                subprocess.run(["paplay", "--device=visitor", str(wav)], env=env, check=True, timeout=30)
                heard = answered.wait(20)
                samples.append({"turn": i, "answered": heard, "rss_mb": _rss_mb(), "fds": _fds(),
                                "threads": _os_threads()})
                time.sleep(max(0.5, kiosk.speech.busy_until() - kiosk.source.now() + 0.5))
        finally:
            kiosk.post(lambda: setattr(kiosk, "stop_requested", "live soak finished"))

    cfg = KioskConfig(content_dir=MALL, input="mic", output="speaker", display="headless", pace="realtime",
                      lang="en", log_dir=folder / "log", width=135, height=240)
    started = time.perf_counter()
    try:
        report = run_kiosk(cfg, on_ready)
    finally:
        stop_pulse(env)
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    lost_turns = [s["turn"] for s in samples if not s["answered"]]
    warm = samples[min(2, len(samples) - 1)]
    end = samples[-1]
    log_lines = sum(len(p.read_text().splitlines()) for p in (folder / "log").glob("*.log"))
    return {
        "machine": machine(), "turns_spoken": turns, "turns_answered": len(report["turns"]),
        "unanswered_turns": lost_turns, "audio_losses": len(outages), "loss_before_turns": sorted(loss_turns),
        "log_lines": log_lines, "seconds": round(time.perf_counter() - started, 1),
        "rss_mb": {"after_warm_up": round(warm["rss_mb"], 1), "end": round(end["rss_mb"], 1),
                   "growth_pct": round(100 * (end["rss_mb"] - warm["rss_mb"]) / warm["rss_mb"], 2)},
        "fds": {"after_warm_up": warm["fds"], "end": end["fds"]},
        "threads": {"after_warm_up": warm["threads"], "end": end["threads"]},
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=60)
    ap.add_argument("--losses", type=int, default=3)
    ap.add_argument("--json", type=Path, default=Path("bench/results/live_soak.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = run_live_soak(Path(tmp), args.turns, args.losses)
    print_table(f"Live soak: {args.turns} spoken turns, {r['audio_losses']} audio-device losses ({r['machine']})", [
        ("answered / interaction-log lines", f"{r['turns_answered']} / {r['log_lines']}"),
        ("turns not answered", str(r["unanswered_turns"] or "none")),
        ("sound server killed before turns", str(r["loss_before_turns"])),
        ("RSS after warm-up -> end", f"{r['rss_mb']['after_warm_up']} -> {r['rss_mb']['end']} MB "
                                     f"({r['rss_mb']['growth_pct']:+.2f} %)"),
        ("open fds after warm-up -> end", f"{r['fds']['after_warm_up']} -> {r['fds']['end']}"),
        ("threads after warm-up -> end", f"{r['threads']['after_warm_up']} -> {r['threads']['end']}"),
        ("wall time", f"{r['seconds']} s"),
    ])
    write_json(args.json, r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
