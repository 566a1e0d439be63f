"""What `edge-avatar fleet ...` prints: rich tables and progress bars over ``FleetAdmin``."""

from __future__ import annotations

import datetime as dt
import json
import time

import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import topics as T
from .admin import FleetAdmin, dump_devices, make_offer, parse_target
from .broker import broker_config
from .device_listing import Condition, footer, listing, select
from .errors import FleetError
from .install_state import InstallState
from .push_verdict import Deadlines, Verdict, tally
from .rollout_plan import parse_percentages, parse_waves
from .rollout_run import RolloutRequest, run_rollout

console = Console(stderr=False)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=False)


def _pairs(pairs: list[str], what: str) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise FleetError(f"{what} {pair!r}: expected KEY=VALUE")
        out[key] = yaml.safe_load(value)
    return out


def _status_row(v) -> tuple[str, ...]:
    j = v.as_json()
    temps = (j["health"] or {}).get("temps_c") or {}
    health = (f"{max(temps.values()):.0f}°C " if temps else "") + (
        "[red]settings refused[/red]" if j["settings_error"] else "ok" if v.online else "") + (
        f" [red]{len(j['alerts'])} staff alerts[/red]" if j["alerts"] else "")
    bad = [f"{k}: {r.get('reason')}" for k, r in j["installs"].items()
           if r.get("state") in (InstallState.REJECTED, InstallState.FAILED)]
    hw = j["hwtest"] or {}
    return (v.device_id, j["site"], "[green]yes[/green]" if v.online else "[red]no[/red]",
            " ".join(f"{k} {ver}" for k, ver in j["versions"].items()) or "-",
            health + ("; " + "; ".join(bad) if bad else ""),
            f"{hw.get('result')} {hw.get('passed', 0)}/{hw.get('passed', 0) + hw.get('failed', 0)} "
            f"{(hw.get('time') or '')[:10]}" if hw else "-",
            dt.datetime.fromtimestamp(v.last_seen).strftime("%Y-%m-%d %H:%M:%S") if v.last_seen else "-")


def status(args) -> int:
    """A summary line (counts by condition), then one page of rows (`--page`, `--limit`; `--all`),
    of the kiosks having every `--only` condition; `--json`: every such kiosk, unpaged."""
    only = tuple(Condition(c) for c in args.only or ())
    with FleetAdmin(broker_config(args)) as admin:
        views = admin.discover(timeout=args.wait)
    if args.group:
        views = {d: v for d, v in views.items() if args.group in v.status.get("groups", [])}
    if args.json:
        chosen, _ = select(views, only)
        print(dump_devices({d: views[d] for d in chosen}))
        return 0
    try:
        shown = listing(views, only, args.page, None if args.all else args.limit)
    except ValueError as err:
        raise FleetError(str(err)) from None
    print(shown.summary)
    if shown.device_ids:
        table = Table()
        for col in ("device", "site", "online", "versions", "health", "hw test", "last seen"):
            table.add_column(col, no_wrap=col == "device")
        for device_id in shown.device_ids:
            table.add_row(*_status_row(views[device_id]))
        console.print(table)
    if text := footer(shown, only):
        print(text)
    return 0


def _publish(admin: FleetAdmin, bundle, url: str | None = None):
    with _progress() as bar:
        task = bar.add_task(f"upload {bundle.name}", total=None)
        offer = admin.publish_bundle(bundle, lambda done, total: bar.update(task, completed=done, total=total),
                                     url=url)
    return offer


def _deadlines(args) -> Deadlines:
    try:
        return Deadlines(args.progress_deadline, args.offline_deadline)
    except ValueError as err:
        raise FleetError(str(err)) from None


def _wait_installs(admin: FleetAdmin, devices: list[str], offer, timeout: float, deadlines: Deadlines) -> dict:
    with _progress() as bar:
        task = bar.add_task(f"{offer.kind} {offer.version} committed", total=len(devices))
        results = admin.wait_for_installs(devices, offer.bundle_id, timeout, lambda states: bar.update(
            task, completed=sum(1 for s in states.values() if s == InstallState.COMMITTED)), deadlines)
    return results


def _wait_verdicts(admin: FleetAdmin, devices: list[str], offer, timeout: float, deadlines: Deadlines) -> dict:
    with _progress() as bar:
        task = bar.add_task(f"{offer.kind} {offer.version}: verdicts", total=len(devices))
        return admin.wait_for_verdicts(devices, offer.bundle_id, timeout, deadlines, lambda v: bar.update(
            task, completed=sum(1 for d in v.values() if d.final)))


def _print_verdicts(verdicts: dict) -> int:
    """One line per device that did not commit, then the count of each verdict."""
    for device, v in sorted(verdicts.items()):
        if v.verdict is not Verdict.COMMITTED:
            print(f"{device}: {v.describe()}")
    counts = tally(verdicts)
    others = [f"{n} {name}" for name, n in counts.items() if n and name not in ("committed", "pending")]
    print("; ".join([f"{counts['committed']}/{len(verdicts)} committed", *others]))
    return 0 if counts["committed"] == len(verdicts) else 1


def push(args) -> int:
    target = parse_target(args.to)
    deadlines = _deadlines(args)                 # bad deadlines are refused before anything is offered
    with FleetAdmin(broker_config(args)) as admin:
        offer = _publish(admin, args.bundle, args.url)
        desired = admin.update_desired(target, bundles={offer.kind: offer})
        print(f"offered {offer.kind} {offer.version} ({offer.bundle_id[:12]}, {offer.size} bytes, "
              f"{len(offer.chunks)} chunks) to {args.to} (desired rev {desired.rev})")
        if not args.wait:
            return 0
        devices = [target[1]] if target[0] == "device" else (admin.discover() and admin.group_members(target[1]))
        if not devices:
            raise FleetError(f"--to {args.to}: no device of that group announced itself")
        return _print_verdicts(_wait_verdicts(admin, devices, offer, args.timeout, deadlines))


class _PrintedRollout:
    """`fleet rollout`'s RolloutEvents: a line per wave."""

    def __init__(self, offer, members: list[str], abort_at: float):
        self.offer, self.members, self.abort_at = offer, members, abort_at

    def planned(self, plan: list[list[str]]) -> None:
        print(f"rollout of {self.offer.kind} {self.offer.version} to {len(self.members)} kiosks in {len(plan)} waves: "
              f"{', '.join(str(len(w)) for w in plan)}; abort above {self.abort_at:.0%} failed")

    def wave_progress(self, n: int, states: dict) -> None:
        pass

    def wave_done(self, n: int, wave_results: dict, verdict) -> None:
        committed = sum(1 for r in wave_results.values() if r.get("state") == InstallState.COMMITTED)
        print(f"wave {n}: {committed}/{len(wave_results)} committed; "
              f"{verdict.failed}/{verdict.finished} failed so far ({verdict.rate:.1%})")
        if verdict.action == "abort":
            for device, rec in wave_results.items():
                if rec.get("state") != InstallState.COMMITTED:
                    print(f"  {device}: {rec.get('state')} {rec.get('reason', '')} {rec.get('detail', '')}")

    def rolled_back(self, devices: list[str], replies: dict) -> None:
        print(f"rolled back {len(devices)} kiosks that had committed")


def rollout(args) -> int:
    waves = parse_waves(args.waves)
    deadlines = _deadlines(args)
    abort_at = parse_percentages(args.abort_at, "--abort-at")[0] if args.abort_at.strip() not in ("0", "0%") else 0.0
    with FleetAdmin(broker_config(args)) as admin:
        admin.discover()
        members = admin.group_members(args.group)
        if not members:
            raise FleetError(f"--group {args.group}: no device of that group announced itself")
        offer = _publish(admin, args.bundle, args.url)
        req = RolloutRequest(offer, members, waves, abort_at, args.wave_timeout, deadlines,
                             args.rollback_on_abort, args.group)
        out = run_rollout(admin, req, _PrintedRollout(offer, members, abort_at))
        if out.state == "aborted":
            print(f"ABORTED after wave {out.waves_done}: {out.verdict.rate:.1%} failed > {abort_at:.0%}; "
                  f"{len(members) - len(out.results)} kiosks left untouched")
            return 3
        print(f"rollout complete: {offer.kind} {offer.version} on {len(out.results)} kiosks; group {args.group} "
              f"desired state updated for kiosks that join later")
    return 0


def rollback(args) -> int:
    target = parse_target(args.to)
    with FleetAdmin(broker_config(args)) as admin:
        expect = 1 if target[0] == "device" else len(admin.discover() and admin.group_members(target[1]))
        admin.update_desired(target, bundles={args.kind: None})
        replies = admin.command(target, "rollback", {"kind": args.kind}, expect=expect, timeout=args.timeout)
    for r in replies:
        print(f"{r['device_id']}: {r['code']} {r['message']}")
    return 0 if replies and all(r["code"] == 200 for r in replies) else 1


def config_set(args) -> int:
    target = parse_target(args.to)
    settings = _pairs(args.pairs, "config set")
    with FleetAdmin(broker_config(args)) as admin:
        desired = admin.update_desired(target, settings=settings)
    print(f"{args.to}: desired settings rev {desired.rev}: {json.dumps(desired.settings, ensure_ascii=False)}")
    return 0


def command(args) -> int:
    target = parse_target(args.to)
    with FleetAdmin(broker_config(args)) as admin:
        expect = 1 if target[0] == "device" else len(admin.discover() and admin.group_members(target[1]))
        replies = admin.command(target, args.name, _pairs(args.args, args.name), expect=max(expect, 1),
                                timeout=args.timeout)
    for r in replies:
        data = f"\n{json.dumps(r['data'], indent=1, ensure_ascii=False)}" if r.get("data") else ""
        print(f"{r['device_id']}: {r['code']} {r['message']}{data}")
    if not replies:
        print("no reply (device offline, or the command expired)")
    return 0 if replies and all(r["code"] == 200 for r in replies) else 1


def _checked_id(value: str, what: str) -> str:
    try:
        return T.check_id(value, what)
    except T.TopicError as err:
        raise FleetError(str(err)) from None


def alerts(args) -> int:
    """Staff alerts not yet acknowledged, oldest first."""
    if args.device:
        _checked_id(args.device, "--device")
    with FleetAdmin(broker_config(args)) as admin:
        found = admin.alerts(args.device)
    if args.json:
        print(json.dumps(found, indent=1, ensure_ascii=False))
        return 0
    table = Table(title=f"{len(found)} staff alerts not yet acknowledged" + (f" on {args.device}" if args.device else ""))
    for col in ("device", "alert id", "kind", "raised (UTC)", "venue time", "lang", "what the visitor said"):
        table.add_column(col)
    for a in found:
        table.add_row(*(str(a.get(k, "")) for k in ("device", "id", "kind", "raised_at", "venue_time", "lang",
                                                     "transcript")))
    console.print(table)
    return 0


def ack(args) -> int:
    """Acknowledge a staff alert: clear its retained message; the kiosk forgets it."""
    _checked_id(args.device, "device")
    _checked_id(args.alert_id, "alert id")
    with FleetAdmin(broker_config(args)) as admin:
        cleared = admin.ack_alert(args.device, args.alert_id)
    if cleared is None:
        print(f"{args.device}: no staff alert {args.alert_id} is retained (already acknowledged?)")
        return 1
    print(f"{args.device}: acknowledged {args.alert_id} ({cleared.get('kind', '?')}, raised "
          f"{cleared.get('raised_at', '?')}: {cleared.get('transcript', '')!r})")
    return 0


def simulate(args) -> int:
    """Many simulated kiosks until --duration, Ctrl-C or SIGTERM; then one JSON line of what the
    run went through (connections lost by reason, reconnects) on stdout."""
    import signal

    from .simulator import FleetSimulator
    from .chunk_download import RetryTimings
    try:
        retry = RetryTimings.scaled(args.chunk_retry) if args.chunk_retry is not None else RetryTimings()
    except ValueError as err:
        raise FleetError(f"--chunk-retry {args.chunk_retry}: {err}") from None
    share = getattr(args, "failing_percent", 0.0) or 0.0
    if not 0 <= share <= 100:
        raise FleetError(f"--failing-percent {share}: expected 0 to 100")
    failing = {f"sim-{i:04d}" for i in range(args.devices) if (i * 37) % 100 < share}   # spread, not the first N
    sim = FleetSimulator(broker_config(args), args.devices, args.group, keepalive_s=args.keepalive, retry=retry,
                         http_workers=getattr(args, "http_workers", 0), failing=failing)
    sim.connect(timeout=180.0)                 # a thousand kiosks on a loaded machine take a while
    print(f"{args.devices} simulated kiosks online in group {args.group}", flush=True)
    deadline = time.monotonic() + args.duration if args.duration else None
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    try:
        while not stop and (deadline is None or time.monotonic() < deadline):
            sim.step(0.05)
    except KeyboardInterrupt:
        pass
    stats = sim.stats()
    sim.close()
    print(json.dumps({"simulator": stats}), flush=True)
    return 0


def metrics(args) -> int:
    """Serve the fleet as Prometheus text on http://HOST:PORT/metrics until Ctrl-C or SIGTERM."""
    import signal
    import threading

    from .metrics_server import metrics_server, parse_listen, serve
    host, port = parse_listen(args.listen)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FleetAdmin(broker_config(args)) as admin:
        try:
            server = metrics_server(admin, host, port)
        except OSError as err:
            raise FleetError(f"--listen {args.listen}: {err}") from None
        print(f"serving http://{host}:{port}/metrics", flush=True)
        try:
            serve(admin, server, args.announce_every, stop)
        except KeyboardInterrupt:
            pass
    return 0


def write_acl(args) -> int:
    from .acl import render_acl
    devices = yaml.safe_load(args.devices.read_text(encoding="utf-8")) or {}
    if not isinstance(devices, dict):
        raise FleetError(f"{args.devices}: expected a mapping device_id: [group, ...]")
    args.out.write_text(render_acl({str(k): list(v or []) for k, v in devices.items()}, args.admin or ["admin"]),
                        encoding="utf-8")
    print(f"{args.out}: ACL for {len(devices)} devices")
    return 0


__all__ = ["status", "push", "rollout", "rollback", "config_set", "command", "alerts", "ack", "simulate", "metrics",
           "write_acl", "make_offer", "revoke"]


def revoke(args) -> int:
    """Sign a revocation of an asset with an admin key and send it to devices (`revoke` command);
    each device keeps it on disk and stops showing the asset within a second."""
    import datetime as dt

    from runtime.rights.signature import Revocation, encode_signature

    from .bundle_keys import key_id, load_private_key
    key = load_private_key(args.signing_key)
    document = Revocation(args.asset_id, args.reason, dt.datetime.now(dt.timezone.utc)).encode()
    signature = encode_signature(key_id(key.public_key()), key.sign(document))
    target = parse_target(args.to)
    with FleetAdmin(broker_config(args)) as admin:
        expect = 1 if target[0] == "device" else len(admin.discover() and admin.group_members(target[1]))
        replies = admin.command(target, "revoke", {"document": document.decode(), "signature": signature.decode()},
                                expect=max(expect, 1), timeout=args.timeout)
    for r in replies:
        print(f"{r['device_id']}: {r['code']} {r['message']}")
    if not replies:
        print("no reply (device offline, or the command expired)")
    return 0 if replies and all(r["code"] == 200 for r in replies) else 1
