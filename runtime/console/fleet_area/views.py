"""Fleet pages: the devices table (live), a device's page (telemetry charts, errors, installs,
alerts) and its commands. Rollouts are in rollout_views.py."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from fleet import topics as T
from fleet.errors import FleetError

from .. import audit
from ..auth.roles import Role, require_role
from ..live.sse import stream
from .charts import device_charts
from .rows import device_row

bp = Blueprint("fleet", __name__, url_prefix="/fleet")
# command -> (what the form sends, how to read it); anything else is refused before it reaches the broker
COMMANDS = ("restart", "reload", "say", "set-volume", "collect-logs")


def fleet():
    return current_app.extensions["console_fleet"]


@bp.get("/")
@require_role(Role.VIEWER)
def devices():
    return render_template("fleet/devices.html", connected=fleet().connected)


@bp.get("/devices.json")
@require_role(Role.VIEWER)
def devices_json():
    seq, rows = fleet().feed.snapshot()
    return {"seq": seq, "rows": rows}


@bp.get("/devices/stream")
@require_role(Role.VIEWER)
def devices_stream():
    only = request.args.get("device")
    return stream(fleet().feed, keys={only} if only else None)


def _view(device_id: str):
    view = fleet().views().get(device_id)
    if view is None:
        abort(404, description=f"no device {device_id!r} has announced itself to this console")
    return view


@bp.get("/device/<device_id>")
@require_role(Role.VIEWER)
def device(device_id: str):
    view = _view(device_id)
    return render_template("fleet/device.html", **_device_context(view))


@bp.get("/device/<device_id>/panel")
@require_role(Role.VIEWER)
def device_panel(device_id: str):
    """The live part of the device page (re-fetched when the device's row changes)."""
    return render_template("fleet/device_panel.html", **_device_context(_view(device_id)))


def _device_context(view) -> dict:
    errors = view.telemetry.get("errors") or {}
    return {"d": view, "row": device_row(view, time.time()), "charts": device_charts(fleet().history(view.device_id)),
            "installs": sorted((view.reported.get("installs") or {}).items()),
            "last_error": errors.get("last"), "events": fleet().events(view.device_id),
            "alerts": view.reported.get("alerts") or [], "commands": COMMANDS,
            "rollouts": current_app.extensions["console_rollouts"].for_device(view.device_id)}


def parse_command(name: str, form) -> dict:
    """The command's args from the form, checked here (the device checks again)."""
    if name not in COMMANDS:
        raise ValueError(f"command: expected one of {', '.join(COMMANDS)}, got {name!r}")
    if name == "say":
        text = (form.get("text") or "").strip()
        if not text or len(text) > 500:
            raise ValueError("text: expected the words to say (1-500 characters)")
        return {"text": text}
    if name == "set-volume":
        try:
            level = float(form.get("level", ""))
        except ValueError:
            level = -1.0
        if not 0 <= level <= 1:
            raise ValueError(f"level: expected a number from 0 to 1, got {form.get('level')!r}")
        return {"level": level}
    if name == "collect-logs":
        lines = form.get("lines") or "200"
        if not lines.isdigit() or not 1 <= int(lines) <= 2000:
            raise ValueError(f"lines: expected 1-2000, got {lines!r}")
        return {"lines": int(lines)}
    return {}


@bp.post("/device/<device_id>/command/<name>")
@require_role(Role.ADMIN)
def command(device_id: str, name: str):
    try:
        T.check_id(device_id, "device")
        args = parse_command(name, request.form)
    except (ValueError, T.TopicError) as err:
        return jsonify(ok=False, error=str(err)), 400
    try:
        replies = fleet().command(device_id, name, args, timeout=15.0)
    except FleetError as err:
        audit.record(f"command.{name}", f"device {device_id}", args=args, error=str(err))
        return jsonify(ok=False, error=str(err)), 503
    audit.record(f"command.{name}", f"device {device_id}", args=args,
                 replies=[f"{r.get('code')} {r.get('message')}" for r in replies] or ["no reply"])
    return jsonify(ok=bool(replies), replies=replies,
                   error=None if replies else "no reply within 15 s (device offline, or the command expired)")
