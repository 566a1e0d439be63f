"""Fleet pages: devices table (live), device page, commands; rollouts in rollout_views.py."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from ..auth.roles import Role, require_role
from ..live.sse import stream

bp = Blueprint("fleet", __name__, url_prefix="/fleet")


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
    return stream(fleet().feed)
