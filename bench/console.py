"""The console's devices page with N simulated kiosks, in a real browser.

    flock /work/tmp/bench.lock python bench/console.py [--devices 1000] [--loads 5] [--updates 20] \
        [--json bench/results/console.json]

What runs is what a user runs: a fresh Mosquitto, `edge-avatar fleet simulate --devices N` (one
process), `edge-avatar console --broker ...` (waitress) with a user made by `console adduser`, and
Debian's headless Chromium driven by Selenium.
- **Time to rendered table**: each of `--loads` fresh loads of /fleet/ (logged in), from the start of
  navigation (Navigation Timing's time origin) to the page's own marker `data-table-filled` (set
  after the first draw with every device in it, whose row count is checked); Navigation Timing's
  responseEnd, domContentLoaded and load are reported beside it.
- **Live update latency**: `--updates` times, a kiosk's status changes on the broker (it goes offline,
  then comes back: the will and birth a real kiosk's link makes), and the open page is watched until
  that row shows it: from the publish to the row drawn (one machine, one clock). The simulated kiosks'
  own telemetry keeps the page busy meanwhile (every kiosk every 60 s).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, pct, print_table, write_json  # noqa: E402
from bench.fleet_load import Broker  # noqa: E402
from fleet import topics as T  # noqa: E402
from fleet.broker import BrokerConfig, make_client  # noqa: E402
from fleet.bundle_keys import generate_keypair  # noqa: E402
from fleet.messages import encode  # noqa: E402
from tests.console_fixtures import browser_login, chromium  # noqa: E402
from tests.mosquitto import free_port  # noqa: E402

PASSWORD = "bench-password-1"


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise SystemExit(f"timed out after {timeout:g} s waiting for {what}")


def _console(folder: Path, broker: str, port: int, log: Path) -> subprocess.Popen:
    data = folder / "console"
    subprocess.run([sys.executable, "-m", "runtime", "console", "adduser", "bench", "--role", "viewer",
                    "--data-dir", str(data)], input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    proc = subprocess.Popen([sys.executable, "-m", "runtime", "console", "--data-dir", str(data), "--broker", broker,
                             "--port", str(port)], stdout=open(log, "ab"), stderr=subprocess.STDOUT)

    def up():
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200
        except OSError:
            return False
    _wait(up, 60, "the console to answer /healthz")
    return proc


def _load(driver, base: str, devices: int) -> dict:
    driver.get(f"{base}/fleet/")
    _wait(lambda: driver.execute_script("return document.body.dataset.tableFilled"), 60, "the table")
    t = driver.execute_script("""
        const n = performance.getEntriesByType("navigation")[0];
        return {filled: Number(document.body.dataset.tableFilled), response_end: n.responseEnd,
                dom_content_loaded: n.domContentLoadedEventEnd, load: n.loadEventEnd,
                rows: document.querySelectorAll("#devices tbody tr").length};""")
    if t["rows"] < devices:
        raise SystemExit(f"the first draw had {t['rows']} rows, expected {devices}")
    return {k: round(v, 1) for k, v in t.items()}


def _status(device: str, online: bool, session: int) -> bytes:
    doc = {"online": online, "session": session, "device_id": device}
    if online:
        doc.update(groups=["bench"], site=f"site-{int(device.rsplit('-', 1)[1]) % 20:02d}", versions={})
    return encode(doc)


def _latency(driver, client, device: str, online: bool, session: int) -> float:
    """ms from the status publish to the row showing it."""
    sent = {}

    def publish():
        time.sleep(0.3)                           # the watcher below is running by then
        sent["t"] = time.time() * 1000
        client.publish(T.device(device, T.STATUS), _status(device, online, session), qos=1, retain=True)
    threading.Thread(target=publish, daemon=True).start()
    seen = driver.execute_async_script("""
        const [device, want, done] = arguments;
        const look = () => {
          const cell = document.querySelector(`#devices tr[data-device="${device}"] td:nth-child(4)`);
          if (cell && cell.textContent === want) done(Date.now()); else setTimeout(look, 2);
        };
        look();""", device, "online" if online else "offline")
    return seen - sent["t"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--loads", type=int, default=5)
    ap.add_argument("--updates", type=int, default=20)
    ap.add_argument("--json", type=Path, default=Path("bench/results/console.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        folder = Path(tmp)
        broker = Broker(folder, free_port())
        broker.start()
        url = f"mqtt://127.0.0.1:{broker.port}"
        _, pub = generate_keypair(folder / "admin")           # the simulated kiosks pin a key (nothing is pushed)
        sim = subprocess.Popen([sys.executable, "-m", "runtime", "fleet", "simulate", "--devices", str(args.devices),
                                "--group", "bench", "--broker", url, "--trust-key", str(pub)], stdout=subprocess.PIPE,
                               stderr=open(folder / "sim.log", "ab"), text=True)
        console = driver = client = None
        try:
            t0 = time.monotonic()
            if "online" not in sim.stdout.readline():
                raise SystemExit(f"simulator failed (see {folder}/sim.log)")
            print(f"{args.devices} simulated kiosks online in {time.monotonic() - t0:.0f} s", flush=True)
            port = free_port()
            console = _console(folder, url, port, folder / "console.log")
            base = f"http://127.0.0.1:{port}"
            driver = chromium(folder / "chromium")
            browser_login(driver, base, "bench", PASSWORD)
            driver.get(f"{base}/fleet/")
            _wait(lambda: driver.execute_script(
                "return document.querySelectorAll('#devices tbody tr').length") >= args.devices,
                120, f"{args.devices} devices in the console")
            loads = [_load(driver, base, args.devices) for _ in range(args.loads)]
            print(f"loads: {[x['filled'] for x in loads]} ms to the filled table", flush=True)
            client = make_client(BrokerConfig.from_args(url), "bench-console-status", False)
            client.connect("127.0.0.1", broker.port)
            client.loop_start()
            driver.get(f"{base}/fleet/")
            _wait(lambda: driver.execute_script("return document.body.dataset.tableFilled"), 60, "the table")
            latencies = []
            for i in range(args.updates):
                device = f"sim-{(i * 37) % args.devices:04d}"
                latencies.append(_latency(driver, client, device, False, 1))
                latencies.append(_latency(driver, client, device, True, 1))
            print(f"live updates: {[round(x) for x in latencies]} ms", flush=True)
        finally:
            if client:
                client.loop_stop()
                client.disconnect()
            if driver:
                driver.quit()
            if console:
                console.terminate()
                console.wait(30)
            sim.terminate()
            sim.wait(120)
            broker.stop()
    filled = [x["filled"] for x in loads]
    result = {
        "bench": "console", "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
        "devices": args.devices, "loads": loads, "updates": len(latencies),
        "table_filled_ms": {"median": round(statistics.median(filled), 1), "max": round(max(filled), 1)},
        "live_update_ms": {"p50": round(pct(latencies, 50), 1), "p95": round(pct(latencies, 95), 1),
                           "max": round(max(latencies), 1)},
        "target": "devices page with 1000 kiosks rendered in <= 1000 ms and live",
        "conditions": "one 2-core machine shared with other engineers' work; broker, simulator, console and "
                      "Chromium on it; simulated kiosks send telemetry every 60 s",
    }
    print_table(f"console: devices page with {args.devices} simulated kiosks (headless Chromium)", [
        ("table rendered", f"median {result['table_filled_ms']['median']} ms, max {result['table_filled_ms']['max']} ms "
                           f"from navigation start ({len(loads)} loads)"),
        ("response end", f"median {statistics.median(x['response_end'] for x in loads):.0f} ms"),
        ("live update", f"p50 {result['live_update_ms']['p50']} ms, p95 {result['live_update_ms']['p95']} ms, "
                        f"max {result['live_update_ms']['max']} ms ({len(latencies)} status changes)"),
    ])
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
