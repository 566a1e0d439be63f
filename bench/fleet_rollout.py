"""A wave rollout of a runtime version to the simulated fleet, with an abort on failures.

    python bench/fleet_rollout.py [--devices 1000] [--failing-percent 8] [--abort-at 5%] [--json FILE]

Two rollouts of a `runtime` bundle (a stand-in wheel and this environment's dependency lock, signed),
each on a fresh broker and `edge-avatar fleet simulate`, driven by the real `edge-avatar fleet
rollout` (waves 1, 10, 50, 100 %): one where `--failing-percent` of the kiosks fail the new
version's health check — it must abort, leave the rest untouched and say which kiosks failed —
and one where none do — it must complete. The simulator does not run the launcher (each kiosk's
install answers at once); what runs here is the admin's side of a runtime rollout at fleet scale.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, print_table, provenance, write_json  # noqa: E402
from bench.fleet_load import Broker  # noqa: E402
from fleet.bundle_keys import generate_keypair  # noqa: E402
from fleet.runtime_bundle import build_runtime_bundle  # noqa: E402
from tests.mosquitto import free_port  # noqa: E402
from tests.runtime_wheels import stand_in_wheel  # noqa: E402

WAVE = re.compile(r"wave (\d+): (\d+)/(\d+) committed; (\d+)/(\d+) failed so far")


def _rollout(folder: Path, bundle: Path, pub: Path, devices: int, failing: float, waves: str, abort_at: str) -> dict:
    folder.mkdir(parents=True)
    port = free_port()
    broker = Broker(folder, port)
    broker.start()
    url = f"mqtt://127.0.0.1:{port}"
    sim = subprocess.Popen([sys.executable, "-m", "runtime", "fleet", "simulate", "--devices", str(devices),
                            "--group", "bench", "--broker", url, "--trust-key", str(pub), "--failing-percent",
                            str(failing), "--duration", "3600"], stdout=subprocess.PIPE,
                           stderr=open(folder / "simulator.log", "ab"), text=True)
    try:
        if "online" not in sim.stdout.readline():
            raise SystemExit("simulator failed (see simulator.log)")
        t0 = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "runtime", "fleet", "rollout", str(bundle), "--group", "bench",
                               "--waves", waves, "--abort-at", abort_at, "--broker", url, "--wave-timeout", "900"],
                              capture_output=True, text=True, timeout=3600)
        seconds = time.monotonic() - t0
    finally:
        sim.kill()
        sim.wait()
        broker.stop()
    out = done.stdout
    waves_seen = [{"wave": int(m[1]), "committed": int(m[2]), "devices": int(m[3]), "failed_so_far": int(m[4]),
                   "finished_so_far": int(m[5])} for m in WAVE.finditer(out)]
    reported = sum(1 for line in out.splitlines() if line.startswith("  sim-"))
    return {"failing_percent": failing, "exit_code": done.returncode, "aborted": "ABORTED" in out,
            "complete": "rollout complete" in out, "waves": waves_seen,
            "committed": sum(w["committed"] for w in waves_seen),
            "touched": sum(w["devices"] for w in waves_seen), "failed_kiosks_named": reported,
            "seconds": round(seconds, 1), "last_lines": out.strip().splitlines()[-3:]}


def _row(r: dict) -> tuple[str, str]:
    what = "ABORTED" if r["aborted"] else ("complete" if r["complete"] else f"exit {r['exit_code']}")
    waves = ", ".join(f"{w['committed']}/{w['devices']}" for w in r["waves"])
    return (f"{r['failing_percent']:g} % failing", f"{what} after {len(r['waves'])} waves ({waves} committed); "
                                                   f"{r['touched']} kiosks offered it, {r['failed_kiosks_named']} "
                                                   f"named as failed; {r['seconds']} s")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--failing-percent", type=float, default=8.0)
    ap.add_argument("--abort-at", default="5%")
    ap.add_argument("--waves", default="1,10,50,100%")
    ap.add_argument("--json", type=Path, default=Path("bench/results/fleet_rollout.json"))
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fleet-rollout-"))
    key, pub = generate_keypair(tmp / "admin")
    bundle = tmp / "runtime-2.0.0.bundle"
    build_runtime_bundle(tmp, "2.0.0", key, bundle, wheel=stand_in_wheel(tmp / "wheel", "2.0.0", "good"))
    runs = [_rollout(tmp / f"fleet-{n}", bundle, pub, args.devices, failing, args.waves, args.abort_at)
            for n, failing in enumerate((args.failing_percent, 0.0))]
    ok = runs[0]["aborted"] and runs[1]["complete"] and runs[1]["committed"] == args.devices
    print_table(f"Runtime rollout to {args.devices} simulated kiosks, waves {args.waves}, abort above "
                f"{args.abort_at} ({machine()})", [*map(_row, runs), ("as expected", "yes" if ok else "NO")])
    write_json(args.json, {**provenance(), "machine": machine(), "devices": args.devices, "waves": args.waves,
                           "abort_at": args.abort_at, "runs": runs, "as_expected": ok})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
