"""Fleet scale: N simulated kiosks on one Mosquitto (or a RabbitMQ cluster); push one bundle to all of them, several runs.

    python bench/fleet.py [--devices 1000] [--size-mb 20] [--runs 1] [--load] [--baseline] [--json bench/results/fleet.json]
    python bench/fleet.py --cluster 3 --kill-node [--http] [--json bench/results/fleet_cluster.json]

Each run (``bench/fleet_run.py``) starts a fresh broker and `edge-avatar fleet simulate` (real
AgentCore + paho client per kiosk, every chunk's sha256 checked, bytes not kept) in a child process;
the admin runs here and waits for a verdict on every kiosk: committed, refused, failed, stuck or
offline. `--load` adds a busy process per core and restarts the broker mid-push. Per run: kiosks
committed / lost / stuck and the time from the push to the last verdict; the JSON has them all in
`runs` (and what each run went through: connections lost and made again, the kernel's TCP counters,
broker traffic, peak memory).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, print_table, provenance, write_json  # noqa: E402
from bench.fleet_run import run_once  # noqa: E402
from fleet.bundle_builder import build_bundle  # noqa: E402
from fleet.bundle_keys import generate_keypair  # noqa: E402
from fleet.push_verdict import Deadlines  # noqa: E402


def _bundle(tmp: Path, size_mb: float) -> tuple[Path, Path]:
    key, pub = generate_keypair(tmp / "admin")
    src = tmp / "src"
    src.mkdir()
    (src / "venue-panel.yaml").write_text("name: venue-panel\nformat: flat\n")
    (src / "textures.bin").write_bytes(os.urandom(int(size_mb * (1 << 20))))
    bundle = tmp / "big.bundle"
    build_bundle(src, "panel", "1.0.0", key, bundle)
    return bundle, pub


def _row(r: dict) -> tuple[str, str]:
    load = r["load"]
    restart = (f"; broker restarted at {load['broker_restart_at_s']} s (away {load['broker_away_s']} s)"
               if load["broker_restart_at_s"] is not None else "")
    if r.get("cluster") and r["cluster"]["killed"]:
        restart = (f"; node {r['cluster']['killed']} killed at {load['broker_restart_at_s']} s, kiosks online by "
                   f"node at the end {r['simulator'].get('online_by_node')}, {r['simulator'].get('node_moves')} node moves")
    sim = r["simulator"]
    return (f"run {r['run']}", f"{r['committed']}/{r['devices']} committed, {r['lost']} lost, {r['stuck']} stuck; "
                               f"last verdict {r['last_verdict_s']} s{restart}; {sim.get('reconnects', '?')} "
                               f"reconnects; {r.get('broker_publish_messages_dropped', '?')} messages the broker dropped, "
                               f"{r.get('admin_rereads', {}).get('views_corrected', '?')} admin views corrected by a re-read; "
                               f"TCP memory peak {r['tcp_memory_peak_mb']} MB, prunes "
                               f"{r['tcp'].get('PruneCalled', 0)}, timeouts {r['tcp'].get('TCPTimeouts', 0)}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--size-mb", type=float, default=20.0)
    ap.add_argument("--runs", type=int, default=1, help="pushes in a row, each on a fresh broker and fleet")
    ap.add_argument("--load", action="store_true",
                    help="a busy process per core during each run, and the broker restarted mid-push")
    ap.add_argument("--timeout", type=float, default=3600.0, help="the admin's wait, seconds")
    ap.add_argument("--progress-deadline", type=float, default=120.0)
    ap.add_argument("--offline-deadline", type=float, default=120.0)
    ap.add_argument("--baseline", action="store_true",
                    help="first one run without load (no busy processes, no broker restart): the unloaded time "
                         "the target compares each run's last verdict with (at most 3 x)")
    ap.add_argument("--http", action="store_true",
                    help="the offer carries a `url` (a static server with Range requests on this host): kiosks "
                         "fetch the bundle over HTTP, retained MQTT chunks stay the fallback")
    ap.add_argument("--cluster", type=int, default=0, metavar="N",
                    help="a RabbitMQ cluster of N nodes on loopback instead of one Mosquitto (kiosks spread over "
                         "the nodes, the admin writes retained messages through each)")
    ap.add_argument("--kill-node", action="store_true",
                    help="with --cluster: kill one node (SIGKILL, it stays down) once the kiosks are on average "
                         "40 %% through the download; its kiosks must move to another node and resume")
    ap.add_argument("--json", type=Path, default=None,
                    help="default bench/results/fleet.json (fleet_cluster.json with --cluster)")
    args = ap.parse_args()
    if args.kill_node and not args.cluster:
        ap.error("--kill-node needs --cluster N")
    if args.json is None:
        args.json = Path("bench/results/fleet_cluster.json" if args.cluster else "bench/results/fleet.json")
    if args.devices < 1 or args.runs < 1:
        ap.error("--devices and --runs: expected 1 or more")
    tmp = Path(tempfile.mkdtemp(prefix="fleet-bench-"))
    bundle, pub = _bundle(tmp, args.size_mb)
    deadlines = Deadlines(args.progress_deadline, args.offline_deadline)
    runs = []
    baseline = None
    if args.baseline:
        print(f"baseline: {args.devices} kiosks, no load", flush=True)
        baseline = run_once(0, tmp / "baseline", bundle, pub, args.devices, False, args.timeout, deadlines,
                            args.http, args.cluster, False)
        print(f"  {_row(baseline)[1]}", flush=True)
    for n in range(1, args.runs + 1):
        print(f"run {n}/{args.runs}: {args.devices} kiosks{' under load' if args.load else ''}", flush=True)
        runs.append(run_once(n, tmp / f"run-{n}", bundle, pub, args.devices, args.load, args.timeout, deadlines,
                             args.http, args.cluster, args.kill_node))
        print(f"  {_row(runs[-1])[1]}", flush=True)
    complete = sum(1 for r in runs if r["committed"] == r["devices"])
    result = {
        **provenance(), "machine": machine(), "devices": args.devices, "bundle_mb": args.size_mb, "load": args.load,
        "delivery": "http" if args.http else "mqtt", "cluster": args.cluster, "kill_node": args.kill_node,
        "runs": runs, "runs_complete": complete, "lost": sum(r["lost"] for r in runs),
        "stuck": sum(r["stuck"] for r in runs), "last_verdict_s_max": max(r["last_verdict_s"] for r in runs),
        "deadlines_s": {"progress": args.progress_deadline, "offline": args.offline_deadline},
        "peak_rss_mb_admin": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    rows = [*map(_row, runs), ("complete", f"{complete}/{len(runs)} runs")]
    if baseline is not None:
        limit = 3 * baseline["last_verdict_s"]
        within = sum(1 for r in runs if r["last_verdict_s"] <= limit)
        result["baseline"] = baseline
        result["within_3x_unloaded"] = {"unloaded_last_verdict_s": baseline["last_verdict_s"], "limit_s": round(limit, 1),
                                        "runs_within": within}
        rows.insert(0, ("unloaded", _row(baseline)[1]))
        rows.append(("within 3x unloaded", f"{within}/{len(runs)} runs (limit {limit:.1f} s)"))
    broker = f"a {args.cluster}-node RabbitMQ cluster" if args.cluster else "one Mosquitto"
    print_table(f"Fleet push: {args.devices} simulated kiosks on {broker}"
                f"{', one node killed mid-push' if args.kill_node else ''}, {args.size_mb:g} MB bundle "
                f"({'HTTP' if args.http else 'MQTT chunks'}), {args.runs} runs"
                f"{' under load (a busy process per core, broker restarted mid-push)' if args.load else ''} "
                f"({machine()})", rows)
    write_json(args.json, result)
    return 0 if complete == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
