"""`edge-avatar bridge ...`: run the controller simulator, or ask a real controller for its state."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from pathlib import Path

_LOGGER = logging.getLogger(__name__)


def add_commands(sub) -> None:
    bridge = sub.add_parser("bridge", help="panel controller link: simulate one, or query one")
    bsub = bridge.add_subparsers(dest="bridge_command", required=True)
    sim = bsub.add_parser("simulate", help="run a software panel controller on a pty and print its path")
    sim.add_argument("--link", type=Path, help="also make this stable symlink to the pty")
    sim.add_argument("--drop", type=float, default=0.0, help="probability an answer/event is lost")
    sim.add_argument("--corrupt", type=float, default=0.0, help="probability a frame gets a flipped bit")
    sim.add_argument("--duplicate", type=float, default=0.0, help="probability a frame is sent twice")
    sim.add_argument("--delay-ms", type=float, default=0.0, help="delay before every answer")
    sim.add_argument("--reboot-every", type=float, default=0.0, help="reboot the controller every S seconds")
    sim.add_argument("--stuck-presence", action="store_true", help="the presence sensor always says present")
    sim.add_argument("--presence-every", type=float, default=0.0,
                     help="a visitor arrives and leaves every S seconds")
    sim.add_argument("--baud", type=int, default=115200, help="emulated UART speed (0: memory speed)")
    sim.add_argument("--seed", type=int, default=0)
    sim.set_defaults(func=_simulate)
    status = bsub.add_parser("status", help="ask a controller for version, status and temperature")
    status.add_argument("--port", required=True, help="/dev/ttyUSB0, /dev/ttyAMA0, a pty path or loop://")
    status.add_argument("--baud", type=int, default=115200)
    status.set_defaults(func=_status)


def _simulate(args) -> int:
    from .controller import Faults
    from .simulator import PtySimulator
    faults = Faults(drop=args.drop, corrupt=args.corrupt, duplicate=args.duplicate,
                    delay_s=args.delay_ms / 1000, stuck_presence=args.stuck_presence, seed=args.seed)
    sim = PtySimulator(faults, link=args.link, telemetry_every_s=5.0, baudrate=args.baud or None)
    print(sim.path, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    next_reboot = time.monotonic() + args.reboot_every if args.reboot_every else None
    next_visit, present = (time.monotonic() + args.presence_every if args.presence_every else None), False
    try:
        while not stop.wait(0.1):
            now = time.monotonic()
            if next_reboot and now >= next_reboot:
                sim.reboot()
                _LOGGER.info("simulated controller reboot")
                next_reboot = now + args.reboot_every
            if next_visit and now >= next_visit:
                present = not present
                sim.send_presence(present, 700 if present else 0)
                next_visit = now + args.presence_every
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()
    return 0


def _status(args) -> int:
    from .client import BridgeError, PanelBridge
    from .messages import GetStatus, GetTemperature, GetVersion
    bridge = PanelBridge(args.port, args.baud)
    try:
        version = bridge.call(GetVersion(), timeout=3)
        status = bridge.call(GetStatus(), timeout=3)
        temp = bridge.call(GetTemperature(), timeout=3)
    except BridgeError as err:
        print(f"edge-avatar: error: panel controller on {args.port}: {err}")
        return 2
    finally:
        bridge.close()
    print(f"controller {version.model} firmware {version.major}.{version.minor}.{version.patch}\n"
          f"brightness {status.brightness} %, mode {'3D' if status.mode else '2D'}, fan {status.fan_rpm} rpm, "
          f"power {'on' if status.power else 'off'}, factory test {'on' if status.factory_test else 'off'}, "
          f"temperature {temp.centi_celsius / 100:.1f} °C")
    return 0
