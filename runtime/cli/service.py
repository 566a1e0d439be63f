"""`edge-avatar service install|unit|status`."""

from __future__ import annotations

import argparse
from pathlib import Path

from runtime.shared.errors import ConfigError


def add_commands(sub) -> None:
    svc = sub.add_parser("service", help="run the kiosk as a systemd service; see whether it is healthy")
    ssub = svc.add_subparsers(dest="service_command", required=True)
    for name, helptext in (("install", "write and enable the systemd unit (as root)"),
                           ("unit", "print the unit that install would write")):
        p = ssub.add_parser(name, help=helptext)
        p.add_argument("--user", default="kiosk", help="the account the kiosk runs as")
        p.add_argument("--data-dir", type=Path, default=Path("/var/lib/edge-avatar"))
        p.add_argument("--watchdog", type=int, default=30, help="seconds without a ping before systemd restarts it")
        p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                       help="environment for the kiosk (e.g. SDL_VIDEODRIVER=kmsdrm)")
        if name == "install":
            p.add_argument("--unit-dir", type=Path, default=Path("/etc/systemd/system"))
            p.add_argument("--no-enable", action="store_true", help="write the unit only")
        p.add_argument("run_args", nargs=argparse.REMAINDER, help="-- then options for `edge-avatar run`")
        p.set_defaults(func=_install if name == "install" else _print_unit)
    st = ssub.add_parser("status", help="one screen: healthy or not, and why")
    st.add_argument("--data-dir", type=Path, default=Path("/var/lib/edge-avatar"))
    st.set_defaults(func=_status)


def _options(args):
    from runtime.ops.service.unit_file import UnitOptions
    env = []
    for pair in args.env:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--env {pair!r}: expected KEY=VALUE")
        env.append((key, value))
    run_args = [a for a in args.run_args if a != "--"]
    return UnitOptions(tuple(run_args), args.user, args.data_dir, args.watchdog, tuple(env))


def _print_unit(args) -> int:
    from runtime.ops.service.unit_file import render_unit
    print(render_unit(_options(args)), end="")
    return 0


def _install(args) -> int:
    from runtime.ops.service.unit_file import install_unit, render_unit
    options = _options(args)
    path = install_unit(render_unit(options), args.unit_dir, enable=not args.no_enable,
                        data_dir=None if args.no_enable else options.data_dir, user=options.user)
    print(f"{path}: written" + ("" if args.no_enable else "; enabled and started"))
    return 0


def _status(args) -> int:
    from runtime.ops.service.staff_status import gather_facts, judge, render
    facts = gather_facts(args.data_dir)
    print(render(facts))
    return 0 if judge(facts)[0] else 1
