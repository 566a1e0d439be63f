"""`edge-avatar agent`, `edge-avatar bundle ...`, `edge-avatar fleet ...` (argument parsing only)."""

from __future__ import annotations

import argparse
from pathlib import Path


def _broker_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--broker", required=True, help="mqtt://host:port or mqtts://host:port; a cluster: every node, comma-separated")
    p.add_argument("--credentials", type=Path, help="a file with one line username:password "
                   "(or EDGE_AVATAR_MQTT_USERNAME / EDGE_AVATAR_MQTT_PASSWORD)")
    p.add_argument("--ca-file", type=Path, help="the CA that signed the broker's certificate (mqtts)")
    p.add_argument("--cert", type=Path, help="this client's certificate (mqtts, per-device identity)")
    p.add_argument("--key", type=Path, help="this client's private key (with --cert)")


def add_commands(sub, check_settings=None) -> None:
    """`check_settings(path)` validates a settings file the kiosk's way (given by the composition root)."""
    _agent_command(sub, check_settings)
    _bundle_commands(sub)
    fleet = sub.add_parser("fleet", help="admin tools: see the fleet, push bundles, roll out, send commands")
    fsub = fleet.add_subparsers(dest="fleet_command", required=True)
    _fleet_rollout_commands(fsub)
    _fleet_control_commands(fsub)
    _fleet_alert_commands(fsub)


def _agent_command(sub, check_settings) -> None:
    from . import agent_cli

    agent = sub.add_parser("agent", help="the fleet agent: presence, desired state, bundles, commands")
    agent.add_argument("--device-id", required=True)
    agent.add_argument("--group", action="append", default=[], help="a group this kiosk belongs to (repeatable)")
    agent.add_argument("--site", default="", help="the venue, shown in fleet status; the venue a consent must cover "
                                                  "(else the first --group)")
    agent.add_argument("--region", default="", help="this kiosk's region (e.g. CN-SH), for consents scoped by region")
    agent.add_argument("--rights-key", type=Path, action="append", default=[],
                       help="a rights holder's public key that may sign rights records (repeatable)")
    agent.add_argument("--data-dir", type=Path, required=True, help="installed bundles, downloads, agent state")
    agent.add_argument("--trust-key", type=Path, action="append", required=True,
                       help="an admin public key bundles must be signed with (repeat to rotate keys)")
    agent.add_argument("--restart-cmd", help="how the agent restarts the kiosk (e.g. systemctl restart edge-avatar)")
    agent.add_argument("--runtime-ready-deadline", type=float, default=120.0,
                       help="a new runtime version must say READY (on screen, listening) within this (s)")
    agent.add_argument("--runtime-settle", type=float, default=60.0,
                       help="... and then stay up this long before it is committed (s)")
    agent.add_argument("--runtime-starts", type=int, default=3,
                       help="starts of a new runtime version that end early before it is rolled back")
    agent.add_argument("--telemetry-every", type=float, default=30.0, help="seconds between telemetry messages")
    _broker_args(agent)
    agent.set_defaults(func=agent_cli.run_agent, check_settings=check_settings)


def _bundle_commands(sub) -> None:
    from . import bundle_cli

    bundle = sub.add_parser("bundle", help="make and check signed bundles")
    bsub = bundle.add_subparsers(dest="bundle_command", required=True)
    kg = bsub.add_parser("keygen", help="an Ed25519 signing key pair: NAME.key (0600) and NAME.pub")
    kg.add_argument("--out", required=True)
    kg.set_defaults(func=bundle_cli.keygen)
    b = bsub.add_parser("build", help="sign a folder into a bundle")
    b.add_argument("dir", type=Path, help="the folder to bundle (--kind runtime: this project's folder)")
    b.add_argument("--kind", required=True,
                   choices=("content", "avatar", "voice", "asr-model", "tflite-model", "panel", "config", "runtime"))
    b.add_argument("--with-wheel", type=Path, action="append", default=[],
                   help="--kind runtime: a dependency wheel to carry (one the kiosks do not have yet)")
    b.add_argument("--version", required=True)
    b.add_argument("--key", type=Path, required=True)
    b.add_argument("-o", "--out", type=Path, required=True)
    b.add_argument("--valid-days", type=float, default=365.0, help="the manifest expires after this many days")
    b.add_argument("--min-runtime", default="0.1.0", help="the oldest runtime version that can use it")
    b.set_defaults(func=bundle_cli.build)
    v = bsub.add_parser("verify", help="check a bundle as a device would")
    v.add_argument("bundle", type=Path)
    v.add_argument("--trust-key", type=Path, action="append", required=True)
    v.add_argument("--site", default="", help="judge a consent's scope for this venue")
    v.add_argument("--region", default="", help="... and this region (e.g. CN-SH)")
    v.add_argument("--rights-key", type=Path, action="append", default=[], help="a rights holder's public key")
    v.set_defaults(func=bundle_cli.verify)


def _deadline_args(p) -> None:
    p.add_argument("--progress-deadline", type=float, default=120.0,
                   help="a connected kiosk whose install has not moved for this long is stuck (seconds)")
    p.add_argument("--offline-deadline", type=float, default=120.0,
                   help="a kiosk offline for this long during the push is reported offline (seconds)")


def _fleet_rollout_commands(fsub) -> None:
    """status, push, rollout, rollback: seeing the fleet and getting bundles onto it."""
    from . import admin_cli
    from .device_listing import DEFAULT_PAGE_ROWS, Condition

    for name in ("devices", "status"):
        s = fsub.add_parser(name, help="counts by condition, then a page of kiosks: online, versions, health, "
                                       "last test, last seen")
        _broker_args(s)
        s.add_argument("--json", action="store_true")
        s.add_argument("--group")
        s.add_argument("--wait", type=float, default=5.0, help="seconds to wait for announcements")
        s.add_argument("--only", action="append", choices=[str(c) for c in Condition],
                       help="show only kiosks in this condition (repeatable: every one given must hold); "
                            "failing: an install refused or failed, settings refused or a failed hardware test; "
                            "outdated: a kind older than the newest in the fleet shown")
        s.add_argument("--page", type=int, default=1, help="which page of rows to print (from 1)")
        s.add_argument("--limit", type=int, default=DEFAULT_PAGE_ROWS, help="rows per page")
        s.add_argument("--all", action="store_true", help="print every row, not a page")
        s.set_defaults(func=admin_cli.status)
    push = fsub.add_parser("push", help="offer a bundle to a device or a group")
    push.add_argument("bundle", type=Path)
    push.add_argument("--to", required=True, help="device:ID or group:NAME")
    push.add_argument("--wait", action="store_true",
                      help="wait for a verdict on every target: committed, refused, failed, stuck or offline")
    push.add_argument("--timeout", type=float, default=600.0, help="stop waiting after this (seconds)")
    _deadline_args(push)
    push.add_argument("--url", help="the same bundle file on an HTTP(S) server: kiosks fetch it with Range "
                                    "requests first, MQTT chunks stay the fallback")
    _broker_args(push)
    push.set_defaults(func=admin_cli.push)
    ro = fsub.add_parser("rollout", help="push to a group in waves; abort when too many fail")
    ro.add_argument("bundle", type=Path)
    ro.add_argument("--group", required=True)
    ro.add_argument("--waves", default="1,10,50,100%")
    ro.add_argument("--abort-at", default="5%", help="failure rate (of devices finished) that aborts")
    ro.add_argument("--wave-timeout", type=float, default=900.0)
    _deadline_args(ro)
    ro.add_argument("--url", help="the same bundle file on an HTTP(S) server (Range requests)")
    ro.add_argument("--rollback-on-abort", action="store_true",
                    help="roll back the devices that already committed when the rollout aborts")
    _broker_args(ro)
    ro.set_defaults(func=admin_cli.rollout)
    rb = fsub.add_parser("rollback", help="put a kind back on the version installed before")
    rb.add_argument("--to", required=True)
    rb.add_argument("--kind", required=True)
    rb.add_argument("--timeout", type=float, default=60.0)
    _broker_args(rb)
    rb.set_defaults(func=admin_cli.rollback)


def _fleet_alert_commands(fsub) -> None:
    """alerts, ack: the staff alerts kiosks raise, retained until acknowledged."""
    from . import admin_cli

    al = fsub.add_parser("alerts", help="the staff alerts not yet acknowledged, of the fleet or one kiosk")
    al.add_argument("--device", help="only this kiosk's")
    al.add_argument("--json", action="store_true")
    _broker_args(al)
    al.set_defaults(func=admin_cli.alerts)
    ack = fsub.add_parser("ack", help="acknowledge a staff alert (clears its retained message)")
    ack.add_argument("device")
    ack.add_argument("alert_id")
    _broker_args(ack)
    ack.set_defaults(func=admin_cli.ack)


def _fleet_control_commands(fsub) -> None:
    """config, cmd: settings and commands for kiosks; simulate, acl: tools."""
    from . import admin_cli

    cfg = fsub.add_parser("config", help="desired settings")
    csub = cfg.add_subparsers(dest="config_command", required=True)
    cs = csub.add_parser("set", help="set KEY=VALUE settings (YAML values) for a device or group")
    cs.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
    cs.add_argument("--to", required=True)
    _broker_args(cs)
    cs.set_defaults(func=admin_cli.config_set)
    cmd = fsub.add_parser("cmd", help="run a command: restart, reload, set-volume, say, collect-logs, status, "
                                      "rollback")
    cmd.add_argument("name")
    cmd.add_argument("args", nargs="*", metavar="KEY=VALUE")
    cmd.add_argument("--to", required=True)
    cmd.add_argument("--timeout", type=float, default=15.0)
    _broker_args(cmd)
    cmd.set_defaults(func=admin_cli.command)
    rv = fsub.add_parser("revoke", help="revoke an asset (a character, voice...) at once: a signed revocation "
                                        "the kiosks keep and honour offline")
    rv.add_argument("asset_id", help="the asset id of its rights record")
    rv.add_argument("--signing-key", type=Path, required=True, help="an admin signing key the kiosks pin")
    rv.add_argument("--reason", default="revoked by a fleet admin")
    rv.add_argument("--to", required=True)
    rv.add_argument("--timeout", type=float, default=15.0)
    _broker_args(rv)
    rv.set_defaults(func=admin_cli.revoke)
    sim = fsub.add_parser("simulate", help="many lightweight agents in one process (load tests)")
    sim.add_argument("--devices", type=int, default=100)
    sim.add_argument("--group", default="sim")
    sim.add_argument("--trust-key", type=Path, action="append", required=True)
    sim.add_argument("--duration", type=float, help="seconds to run (default: until Ctrl-C)")
    sim.add_argument("--keepalive", type=int, default=60, help="MQTT keep-alive of each kiosk, seconds")
    sim.add_argument("--failing-percent", type=float, default=0.0,
                     help="this share of the kiosks (spread over the fleet) fails every install's health check")
    sim.add_argument("--http-workers", type=int, default=0,
                     help="threads fetching offers' `url` for the kiosks (0: chunks over MQTT only)")
    sim.add_argument("--chunk-retry", type=float, help="seconds before a missing chunk is asked for again "
                     "(default 20; the back-off cap and the give-up time scale with it)")
    _broker_args(sim)
    sim.set_defaults(func=admin_cli.simulate)
    met = fsub.add_parser("metrics", help="serve the fleet's status and telemetry as Prometheus text (/metrics)")
    met.add_argument("--listen", default="127.0.0.1:9108", help="HOST:PORT to serve on")
    met.add_argument("--announce-every", type=float, default=60.0,
                     help="seconds between asking every device to announce itself")
    _broker_args(met)
    met.set_defaults(func=admin_cli.metrics)
    acl = fsub.add_parser("acl", help="write a Mosquitto ACL for the admins and devices (and their groups)")
    acl.add_argument("--devices", type=Path, required=True, help="YAML: device_id: [group, ...]")
    acl.add_argument("--admin", action="append", default=[], help="an admin username (repeatable)")
    acl.add_argument("-o", "--out", type=Path, required=True)
    acl.set_defaults(func=admin_cli.write_acl)
