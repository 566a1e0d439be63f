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

from bench.common import machine, print_table, spoken_questions, write_json, write_wav  # noqa: E402

MALL = Path(__file__).resolve().parents[2] / "shared" / "venues" / "mall-demo"
QUESTIONS = ["Where is the cinema?", "What time does the mall open?", "Where are the toilets?",
             "How much is parking?", "I lost my bag", "Is there free wifi?", "Where can I eat?",
             "Who are you?", "Can I bring my dog?", "Where is the lift?"]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _kiosk_threads() -> int:
    """Threads of the kiosk and its agent, not the harness's own fault injectors."""
    return sum(1 for t in threading.enumerate() if not t.name.startswith("soak-fault"))


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def run_soak(folder: Path, turns: int, seed: int = 7) -> dict:
    from fleet.admin import FleetAdmin
    from fleet.agent import MqttAgent
    from fleet.agent_core import Identity
    from fleet.broker import BrokerConfig
    from fleet.bundle_builder import build_bundle
    from fleet.bundle_keys import TrustedKeys, generate_keypair
    from fleet.bundle_verifier import BundleVerifier
    from fleet.health_check import SelfTestHealthCheck
    from fleet.installer import BundleInstaller
    from runtime.app import run_kiosk
    from runtime.backends import make_synthesizer
    from runtime.config import KioskConfig
    from runtime.fleet_link import KioskControl, installed_config
    from runtime.models import ModelCatalog
    from firmware_bridge.simulator import PtySimulator
    from tests.mosquitto import free_port, mosquitto

    rng = random.Random(seed)
    questions = [rng.choice(QUESTIONS) for _ in range(turns)]
    synth = make_synthesizer(ModelCatalog.load(), "en", deterministic=True)
    audio, _ = spoken_questions(synth, questions, gap_s=2.5)
    wav = folder / "visitors.wav"
    write_wav(wav, audio)
    key, pub = generate_keypair(folder / "admin")
    data = folder / "data"
    good = folder / "mall.bundle"
    build_bundle(MALL, "content", "1.0.0", key, good)
    BundleInstaller(data, BundleVerifier(TrustedKeys.from_files([pub])), SelfTestHealthCheck()).install(
        good, "0" * 64, "content", __import__("datetime").datetime.now(__import__("datetime").timezone.utc))
    broken_src = folder / "broken"
    broken_src.mkdir()
    (broken_src / "faq.yaml").write_text("venue: {id: broken}\nintents: [oops\n")
    broken = folder / "broken.bundle"
    build_bundle(broken_src, "content", "2.0.0", key, broken)
    port = free_port()
    url = f"mqtt://127.0.0.1:{port}"
    controller = PtySimulator()
    cfg = installed_config(KioskConfig(input=str(wav), output="null", display="headless", pace="fast", lang="en",
                                       log_dir=folder / "log", width=135, height=240,
                                       panel_port=controller.path), data)
    samples: list[dict] = []
    faults: dict[str, str] = {}
    box: dict = {}
    broker_dir = folder / "broker"
    broker_dir.mkdir()
    broker = {"ctx": mosquitto(broker_dir, port)}
    broker["ctx"].__enter__()

    def restart_broker():
        before = box["agent"].core.session
        broker["ctx"].__exit__(None, None, None)
        time.sleep(1.0)
        broker["ctx"] = mosquitto(broker_dir, port)
        broker["ctx"].__enter__()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and box["agent"].core.session == before:
            time.sleep(0.2)
        faults["broker restart"] = ("agent reconnected" if box["agent"].core.session > before
                                    else "agent not reconnected")

    def push(bundle: Path, name: str):
        with FleetAdmin(BrokerConfig.from_args(url)) as admin:
            admin.discover(expect=1, timeout=30)
            offer = admin.publish_bundle(bundle)
            admin.update_desired(("device", "soak"), bundles={"content": offer})
            rec = admin.wait_for_installs(["soak"], offer.bundle_id, 120)["soak"]
            faults[name] = f"{rec.get('state')} ({rec.get('reason', '')})"

    def reboot_controller():
        wanted = (controller.model.state.brightness, controller.model.state.mode)
        controller.reboot()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if controller.model.boots >= 2 and (controller.model.state.brightness,
                                                 controller.model.state.mode) == wanted:
                faults["controller reboot"] = "panel set up again"
                return
            time.sleep(0.1)
        faults["controller reboot"] = f"not set up again: {controller.model.state}"

    def crash_recogniser():
        def inject():
            asr = box["kiosk"].listener.recognizer
            engine, real_accept = asr._inner, asr._inner.accept

            def accept(chunk):
                engine.accept = real_accept
                raise RuntimeError("decoder crashed (injected)")
            engine.accept = accept
        box["kiosk"].post(inject)
        faults["recogniser crash"] = "injected"

    # Each fault at a random turn (seeded), after warm-up, at most one per turn.
    faults_to_inject = [restart_broker, reboot_controller, lambda: push(broken, "corrupt content push"),
                        crash_recogniser]
    at = sorted(rng.sample(range(3, max(turns - 1, 3 + len(faults_to_inject))), len(faults_to_inject)))
    rng.shuffle(faults_to_inject)
    plan = dict(zip(at, faults_to_inject))

    def on_turn(turn: dict) -> None:
        n = len(box["kiosk"].run_state.turns)
        samples.append({"turn": n, "rss_mb": _rss_mb(), "fds": _fds(), "threads": _kiosk_threads()})
        if n in plan:
            threading.Thread(target=plan.pop(n), name=f"soak-fault-{n}", daemon=True).start()

    def on_ready(kiosk) -> None:
        box["kiosk"] = kiosk
        control = KioskControl(kiosk, data)
        box["agent"] = MqttAgent(Identity("soak", ("soak",)), BrokerConfig.from_args(url), data,
                                 TrustedKeys.from_files([pub]), control, SelfTestHealthCheck(),
                                 on_installed=control.installed)
        box["agent"].start()
        kiosk.turn_listeners.append(on_turn)

    started = time.perf_counter()
    report = run_kiosk(cfg, on_ready)
    elapsed = time.perf_counter() - started
    deadline = time.monotonic() + 120
    while plan or len(faults) < 4:                 # a fault still running when the visitors stopped
        if time.monotonic() > deadline:
            break
        for n in list(plan):
            threading.Thread(target=plan.pop(n), name=f"soak-fault-{n}", daemon=True).start()
        time.sleep(0.5)
    session = box["agent"].core.session
    box["agent"].stop()
    broker["ctx"].__exit__(None, None, None)
    controller.close()
    asr = report["stages"]["asr"]
    if "recogniser crash" in faults:
        faults["recogniser crash"] = ("rebuilt in place" if asr["up"] and asr["restarts"] >= 1 else
                                      f"not rebuilt: {asr}")
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
        "faults": faults, "agent_sessions": session,
        "content_after": report["content"]["venue"],
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
