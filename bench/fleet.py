"""Fleet scale: N simulated kiosks on one Mosquitto; push one bundle to all of them.

    python bench/fleet.py [--devices 1000] [--size-mb 20] [--json bench/results/fleet.json]

The kiosks run in a child process (`edge-avatar fleet simulate`: real AgentCore + paho client
per kiosk, every chunk's sha256 checked, bytes not kept); the admin side runs here. Reports
time until every kiosk committed, messages and bytes through the broker ($SYS counters),
peak memory of the broker, the simulator and the admin, and any kiosk lost.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, print_table, write_json  # noqa: E402
from fleet.admin import CHUNK_SIZE, FleetAdmin  # noqa: E402
from fleet.broker import BrokerConfig, make_client  # noqa: E402
from fleet.bundle_builder import build_bundle  # noqa: E402
from fleet.bundle_keys import generate_keypair  # noqa: E402
from tests.mosquitto import free_port  # noqa: E402


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class SysCounters:
    """Mosquitto's $SYS totals (bytes and PUBLISH messages sent/received), sampled once a second."""

    def __init__(self, cfg: BrokerConfig):
        self.values: dict[str, float] = {}
        self.client = make_client(cfg, "bench-sys", v5=False)
        self.client.on_message = self._on_message
        self.client.connect(cfg.host, cfg.port)
        self.client.subscribe("$SYS/broker/#")
        self.client.loop_start()

    def _on_message(self, client, userdata, msg) -> None:
        try:
            self.values[msg.topic.split("broker/", 1)[1]] = float(msg.payload or 0)
        except ValueError:
            pass            # version strings and the like

    def snapshot(self) -> dict:
        time.sleep(1.5)
        return {k: self.values.get(k, 0.0) for k in ("bytes/sent", "bytes/received", "publish/messages/sent",
                                                      "publish/messages/received", "messages/sent")}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--size-mb", type=float, default=20.0)
    ap.add_argument("--timeout", type=float, default=3600.0)
    ap.add_argument("--json", type=Path, default=Path("bench/results/fleet.json"))
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fleet-bench-"))
    port = free_port()
    (tmp / "mosquitto.conf").write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                                        "sys_interval 1\nmax_queued_messages 1000\nlog_type error\n"
                                        "log_dest stdout\n")
    broker = subprocess.Popen(["mosquitto", "-c", str(tmp / "mosquitto.conf")], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    cfg = BrokerConfig.from_args(f"mqtt://127.0.0.1:{port}")
    key, pub = generate_keypair(tmp / "admin")
    src = tmp / "src"
    src.mkdir()
    (src / "venue-panel.yaml").write_text("name: venue-panel\nformat: flat\n")
    (src / "textures.bin").write_bytes(os.urandom(int(args.size_mb * (1 << 20))))
    bundle = tmp / "big.bundle"
    build_bundle(src, "panel", "1.0.0", key, bundle)

    sim = subprocess.Popen([sys.executable, "-m", "runtime", "fleet", "simulate", "--devices", str(args.devices),
                            "--group", "bench", "--broker", f"mqtt://127.0.0.1:{port}", "--trust-key", str(pub),
                            "--duration", str(args.timeout)], stdout=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    line = sim.stdout.readline()
    if "online" not in line:
        raise SystemExit(f"simulator failed: {line}")
    connect_s = time.monotonic() - t0
    sys_counters = SysCounters(cfg)
    before = sys_counters.snapshot()
    peaks = {"broker": 0.0, "simulator": 0.0}
    stop = threading.Event()

    def watch():
        while not stop.wait(1.0):
            for name, proc in (("broker", broker), ("simulator", sim)):
                try:
                    peaks[name] = max(peaks[name], _peak_mb(proc.pid))
                except OSError:
                    pass
    threading.Thread(target=watch, daemon=True).start()
    with FleetAdmin(cfg) as admin:
        views = admin.discover(expect=args.devices, timeout=120)
        members = admin.group_members("bench")
        t_push = time.monotonic()
        offer = admin.publish_bundle(bundle)
        upload_s = time.monotonic() - t_push
        admin.update_desired(("group", "bench"), bundles={"panel": offer})
        last = [0]

        def progress(states):
            done = sum(1 for s in states.values() if s == "committed")
            if done - last[0] >= max(1, args.devices // 10):
                last[0] = done
                print(f"  {done}/{len(members)} committed at {time.monotonic() - t_push:.0f} s", flush=True)
        results = admin.wait_for_installs(members, offer.bundle_id, args.timeout, progress)
        all_s = time.monotonic() - t_push
        committed = sum(1 for r in results.values() if r.get("state") == "committed")
        time.sleep(2)
        online = sum(1 for v in admin.devices.values() if v.online and "bench" in v.status.get("groups", []))
    after = sys_counters.snapshot()
    peaks["simulator"] = max(peaks["simulator"], _peak_mb(sim.pid))
    peaks["broker"] = max(peaks["broker"], _peak_mb(broker.pid))
    stop.set()
    import resource
    admin_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sim.terminate()
    sim.wait(30)
    broker.terminate()
    delta = {k: after[k] - before[k] for k in after}
    result = {
        "machine": machine(), "devices": args.devices, "announced": len(views), "bundle_mb": offer.size / 2**20,
        "chunk_kb": CHUNK_SIZE // 1024, "chunks": len(offer.chunks), "connect_s": round(connect_s, 1),
        "upload_s": round(upload_s, 1), "all_committed_s": round(all_s, 1), "committed": committed,
        "lost": args.devices - min(committed, online), "online_after": online,
        "broker_publish_messages_sent": int(delta["publish/messages/sent"]),
        "broker_publish_messages_received": int(delta["publish/messages/received"]),
        "broker_gb_sent": round(delta["bytes/sent"] / 1e9, 2),
        "broker_mb_received": round(delta["bytes/received"] / 1e6, 1),
        "throughput_mb_s": round(delta["bytes/sent"] / 1e6 / all_s, 1),
        "peak_rss_mb": {"broker": round(peaks["broker"]), "simulator": round(peaks["simulator"]),
                        "admin": round(admin_mb)},
    }
    print_table(f"Fleet push: {args.devices} simulated kiosks, {offer.size / 2**20:.0f} MB bundle "
                f"({machine()})", [
        ("kiosks announced", f"{len(views)}"), ("connect all", f"{connect_s:.1f} s"),
        ("upload to broker", f"{upload_s:.1f} s ({len(offer.chunks)} chunks of {CHUNK_SIZE // 1024} kB)"),
        ("all committed", f"{all_s:.1f} s  ({committed}/{args.devices}, lost {result['lost']})"),
        ("broker PUBLISH sent / received", f"{result['broker_publish_messages_sent']} / "
                                           f"{result['broker_publish_messages_received']}"),
        ("broker bytes sent", f"{result['broker_gb_sent']} GB ({result['throughput_mb_s']} MB/s)"),
        ("peak RSS broker / simulator / admin", f"{result['peak_rss_mb']['broker']} / "
                                                f"{result['peak_rss_mb']['simulator']} / {result['peak_rss_mb']['admin']} MB"),
    ])
    write_json(args.json, result)
    return 0 if result["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
