"""`edge-avatar agent`: run the fleet agent until stopped (SIGTERM/Ctrl-C)."""

from __future__ import annotations

import logging
import signal
import threading

from .agent import MqttAgent
from .agent_core import Identity
from .broker import broker_config
from .bundle_keys import TrustedKeys, load_public_key
from .device_control import StandaloneControl
from .errors import FleetError
from .runtime_slot import TrialTimes

_LOGGER = logging.getLogger(__name__)


def trial_times(args) -> TrialTimes:
    try:
        return TrialTimes(args.runtime_ready_deadline, args.runtime_settle, args.runtime_starts)
    except ValueError as err:
        raise FleetError(f"--runtime-ready-deadline/--runtime-settle/--runtime-starts: {err}") from None


def run_agent(args) -> int:
    from runtime import __version__
    identity = Identity(args.device_id, tuple(args.group), args.site, __version__)
    agent = MqttAgent(identity, broker_config(args), args.data_dir, TrustedKeys.from_files(args.trust_key),
                      StandaloneControl(args.data_dir, args.restart_cmd, args.check_settings),
                      telemetry_interval_s=args.telemetry_every, region=args.region,
                      rights_keys=tuple(load_public_key(p) for p in args.rights_key),
                      trial_times=trial_times(args))
    if agent.recovered:
        print(f"recovered: {agent.recovered}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    agent.start()
    print(f"agent {identity.device_id} running; installed: {agent.installer.versions() or 'nothing yet'}",
          flush=True)
    stop.wait()
    agent.stop()
    return 0
