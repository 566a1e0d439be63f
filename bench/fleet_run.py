"""One run of the fleet bench: a fresh broker, N simulated kiosks in a child process, the admin
here; push one bundle to all, wait for a verdict on every kiosk (``FleetAdmin.wait_for_verdicts``);
with `load`, a busy process per core throughout and the broker restarted once the kiosks are, on
average, 40 % through the download. Returns the run's figures."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from bench.fleet_cluster import ClusterBroker
from bench.fleet_load import Broker, NoSysCounters, Peaks, SysCounters, cpu_load, tcp_counters
from fleet.admin import CHUNK_SIZE, FleetAdmin
from fleet.broker import BrokerConfig
from fleet.push_verdict import Deadlines, Verdict, tally
from tests.mosquitto import free_port

RESTART_AT_PROGRESS = 0.4


class PushProgress:
    """The verdict callback: prints progress every tenth of the fleet and, under load, restarts the
    broker (a cluster: kills one node) on its own thread once the mean download progress passes
    RESTART_AT_PROGRESS."""

    def __init__(self, devices: int, t_push: float, broker: Broker | None, what: str = "broker restart"):
        self.devices, self.t_push, self.broker, self.what = devices, t_push, broker, what
        self.printed = 0
        self.restart_at_s: float | None = None
        self.broker_away_s: float | None = None

    def __call__(self, verdicts: dict) -> None:
        done = sum(1 for v in verdicts.values() if v.final)
        if done - self.printed >= max(1, self.devices // 10):
            self.printed = done
            print(f"  {done}/{self.devices} with a verdict at {time.monotonic() - self.t_push:.0f} s", flush=True)
        if self.broker is None or self.restart_at_s is not None:
            return
        mean = sum(1.0 if v.verdict is Verdict.COMMITTED else (v.progress or 0.0) for v in verdicts.values())
        if mean / max(1, self.devices) >= RESTART_AT_PROGRESS:
            self.restart_at_s = time.monotonic() - self.t_push
            threading.Thread(target=self._restart, daemon=True).start()

    def _restart(self) -> None:
        print(f"  {self.what} at {self.restart_at_s:.0f} s", flush=True)
        self.broker_away_s = self.broker.disrupt() if hasattr(self.broker, "disrupt") else self.broker.restart()


HTTP_WORKERS = 16       # the simulator's threads fetching over HTTP (a real kiosk fetches its own)


def _simulator(devices: int, url: str, pub: Path, duration: float, log: Path, http: bool = False) -> subprocess.Popen:
    """`edge-avatar fleet simulate` in a child process; its log (one line per kiosk on a broker
    restart) goes to `log`, not the bench's output."""
    sim = subprocess.Popen([sys.executable, "-m", "runtime", "fleet", "simulate", "--devices", str(devices),
                            "--group", "bench", "--broker", url, "--trust-key", str(pub),
                            "--duration", str(duration), "--http-workers", str(HTTP_WORKERS if http else 0)],
                           stdout=subprocess.PIPE, stderr=open(log, "ab"), text=True)
    line = sim.stdout.readline()
    if "online" not in line:
        sim.kill()
        raise SystemExit(f"simulator failed: {line}")
    return sim


def _sim_stats(sim: subprocess.Popen) -> dict:
    sim.send_signal(signal.SIGTERM)
    out, _ = sim.communicate(timeout=120)
    for line in reversed(out.splitlines()):
        if line.startswith('{"simulator"'):
            return json.loads(line)["simulator"]
    return {}


@contextmanager
def http_server(bundle: Path, enabled: bool):
    """The bundle on a static server with Range requests (bench/fleet_http.py), or None."""
    if not enabled:
        yield None
        return
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.fleet_http", str(bundle), str(port)],
                            stdout=subprocess.PIPE, text=True)
    try:
        if "serving" not in proc.stdout.readline():
            raise SystemExit("the bench's HTTP server did not start")
        yield f"http://127.0.0.1:{port}/{bundle.name}"
    finally:
        proc.kill()
        proc.wait()


def run_once(n: int, folder: Path, bundle: Path, pub: Path, devices: int, load: bool, timeout: float,
             deadlines: Deadlines, http: bool = False, cluster: int = 0, kill_node: bool = False) -> dict:
    folder.mkdir(parents=True)
    if cluster:
        broker = ClusterBroker(folder, cluster, kill_node)
        broker.start()
        broker_url = broker.url
    else:
        port = free_port()
        broker = Broker(folder, port)
        broker.start()
        broker_url = f"mqtt://127.0.0.1:{port}"
    cfg = BrokerConfig.from_args(broker_url)
    disrupt = broker if (kill_node if cluster else load) else None     # a cluster: a node killed, not restarted
    tcp_before = tcp_counters()
    with cpu_load(load) as burners, http_server(bundle, http) as url:
        t0 = time.monotonic()
        sim = _simulator(devices, broker_url, pub, timeout + 900, folder / "simulator.log", http)
        connect_s = time.monotonic() - t0
        peaks = Peaks(broker, sim.pid)
        sys_counters = SysCounters(cfg) if not cluster else NoSysCounters()
        before = sys_counters.snapshot()
        with FleetAdmin(cfg) as admin:
            announced = len(admin.discover(expect=devices, timeout=180))
            members = admin.group_members("bench")
            t_push = time.monotonic()
            offer = admin.publish_bundle(bundle, url=url)
            admin.update_desired(("group", "bench"), bundles={"panel": offer})
            progress = PushProgress(devices, t_push, disrupt, "node killed" if cluster else "broker restart")
            verdicts = admin.wait_for_verdicts(members, offer.bundle_id, timeout, deadlines, progress)
            last_verdict_s = time.monotonic() - t_push
            admin_reconnects = admin.reconnects
            admin_rereads = {"devices_read": admin.rereads, "views_corrected": admin.reread_corrections}
            admin_nodes = admin.nodes.stats() if admin.nodes is not None else None
        after = sys_counters.snapshot()
        sys_counters.close()
        memory = peaks.stop()
        sim_stats = _sim_stats(sim)
    broker.stop()
    tcp_after = tcp_counters()
    counts = tally(verdicts)
    committed, stuck = counts["committed"], counts["stuck"]
    def diff(key: str) -> int | None:          # None: a broker without $SYS counters (RabbitMQ)
        return None if after[key] is None else int(after[key] - before[key])
    sent = diff("bytes/sent")
    return {
        "run": n, "delivery": "http" if http else "mqtt", "devices": devices,
        "cluster": {"nodes": cluster, "start_s": round(broker.start_s, 1), "killed": broker.killed,
                    "admin": admin_nodes} if cluster else None, "committed": committed, "lost": devices - committed - stuck, "stuck": stuck,
        "last_verdict_s": round(last_verdict_s, 1), "verdicts": counts, "announced": announced,
        "load": {"cpu_burners": burners, "broker_restart_at_s": progress.restart_at_s and round(progress.restart_at_s, 1),
                 "broker_away_s": progress.broker_away_s and round(progress.broker_away_s, 1)},
        "not_committed": {d: v.describe() for d, v in sorted(verdicts.items()) if v.verdict is not Verdict.COMMITTED},
        "connect_s": round(connect_s, 1), "chunks": len(offer.chunks), "chunk_kb": CHUNK_SIZE // 1024,
        "bundle_mb": round(offer.size / 2**20, 1),
        "simulator": sim_stats, "admin_reconnects": admin_reconnects,
        "admin_rereads": admin_rereads,
        "broker_publish_messages_sent": diff("publish/messages/sent"),
        "broker_publish_messages_dropped": diff("publish/messages/dropped"),
        "broker_gb_sent": sent and round(sent / 1e9, 2),
        "throughput_mb_s": sent and round(sent / 1e6 / last_verdict_s, 1),
        "tcp": {k: tcp_after.get(k, 0) - tcp_before.get(k, 0) for k in tcp_after},
        **memory,
    }
