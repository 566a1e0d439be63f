"""Panel link round trip and throughput over a pty, at an emulated 115200 baud and at memory speed.

    python bench/bridge.py [--json OUT] [--requests N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, pct, print_table, write_json  # noqa: E402
from firmware_bridge.client import PanelBridge  # noqa: E402
from firmware_bridge.controller import Faults  # noqa: E402
from firmware_bridge.frames import Frame, encode_frame  # noqa: E402
from firmware_bridge.messages import GetStatus, SetBrightness  # noqa: E402
from firmware_bridge.simulator import PtySimulator  # noqa: E402


def measure(baud: int | None, requests: int) -> dict:
    sim = PtySimulator(Faults(), baudrate=baud)
    bridge = PanelBridge(sim.path)
    try:
        bridge.call(GetStatus())
        rtts = []
        for i in range(requests):
            t0 = time.perf_counter()
            bridge.call(SetBrightness(i % 101))
            rtts.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        for _ in range(requests):
            bridge.call(GetStatus())
        elapsed = time.perf_counter() - t0
        status_wire = len(encode_frame(Frame(0x08, 1))) + len(encode_frame(Frame(0x88, 1, bytes(6))))
        return {"rtt_ms": {"p50": round(pct(rtts, 50), 2), "p95": round(pct(rtts, 95), 2)},
                "requests_per_s": round(requests / elapsed, 1),
                "payload_bytes_per_s": round(requests * status_wire / elapsed, 1)}
    finally:
        bridge.close()
        sim.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    result = {"machine": machine(), "115200": measure(115200, args.requests),
              "memory_speed": measure(None, args.requests)}
    rows = []
    for name in ("115200", "memory_speed"):
        r = result[name]
        rows.append((f"{name:>12}", f"round trip p50 {r['rtt_ms']['p50']} ms, p95 {r['rtt_ms']['p95']} ms; "
                                    f"{r['requests_per_s']} requests/s ({r['payload_bytes_per_s']} wire bytes/s)"))
    print(f"machine: {result['machine']}")
    print_table("panel link over a pty (SetBrightness round trips, GetStatus throughput)", rows)
    write_json(args.json, result)


if __name__ == "__main__":
    main()
