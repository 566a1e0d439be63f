"""Rollout pages: the list (live), a new rollout (upload a signed bundle or take one the Content area
built, choose a group or devices, waves and abort threshold), one rollout (waves live, Abort, Roll back).
Viewers see everything and change nothing; every action is confirmed in the page and audited."""

from __future__ import annotations

import datetime as dt
import json
import re

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from fleet.errors import FleetError
from fleet.rollout_plan import parse_percentages, parse_waves

from .. import audit
from ..auth.roles import Role, require_role
from ..db.database import db_session
from ..db.models import Rollout
from ..live.sse import stream
from .bundles import BundleProblem, check_bundle, store_upload, stored, trusted_keys
from .rollout_state import RolloutState, can_abort, can_roll_back

bp = Blueprint("rollouts", __name__, url_prefix="/fleet/rollouts")


def manager():
    return current_app.extensions["console_rollouts"]


def _data_dir():
    return current_app.config["CONSOLE_SETTINGS"].data_dir


def _groups() -> list[str]:
    views = current_app.extensions["console_fleet"].views()
    return sorted({g for v in views.values() for g in v.status.get("groups", [])})


@bp.get("/")
@require_role(Role.VIEWER)
def index():
    manager().sweep(audit.utcnow())          # other consoles' rollouts as the database has them, orphans failed
    _, rows = manager().feed.snapshot()
    return render_template("fleet/rollouts.html", rollouts=sorted(rows.values(), key=lambda r: -r["id"]))


@bp.get("/stream")
@require_role(Role.VIEWER)
def rollouts_stream():
    only = request.args.get("id")
    return stream(manager().feed, keys={only} if only else None)


@bp.route("/new", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def new():
    form = {"target": "group", "group": "", "devices": "", "waves": "10,50,100", "abort_at": "20",
            "wave_timeout": "600", "rollback_on_abort": "", "bundle_name": request.args.get("bundle", "")}
    if request.method == "GET":
        return render_template("fleet/rollout_new.html", form=form, errors={}, groups=_groups())
    form.update({k: request.form.get(k, "") for k in form})
    errors, plan = _check_form(form)
    if errors:
        return render_template("fleet/rollout_new.html", form=form, errors=errors, groups=_groups()), 400
    bundle, members, waves, abort_at, wave_timeout = plan
    now = audit.utcnow()
    r = Rollout(bundle_id="", bundle_file=str(bundle.path), target=json.dumps(members),
                waves=",".join(f"{w * 100:g}" for w in waves), abort_at=abort_at,
                state=RolloutState.PUBLISHING.value,
                progress=json.dumps({"kind": bundle.kind, "version": bundle.version, "key_id": bundle.key_id}),
                created_by=current_user_name(), created_at=now, updated_at=now,
                owner=manager().owner, heartbeat_at=now)     # this console runs it (rollout_owner.py)
    s = db_session()
    s.add(r)
    s.commit()
    audit.record("rollout.start", f"rollout {r.id}", bundle=bundle.path.name, kind=bundle.kind,
                 version=bundle.version, devices=len(members),
                 to=form["group"] if form["target"] == "group" else "devices", waves=r.waves, abort_at=abort_at)
    manager()._publish_all()
    manager().start(r.id, members, waves, abort_at, bool(form["rollback_on_abort"]),
                    form["group"] if form["target"] == "group" else None, wave_timeout)
    return redirect(url_for("rollouts.show", rollout_id=r.id))


def current_user_name() -> str:
    from flask_login import current_user
    return current_user.name


def _check_form(form: dict):
    """Every field checked; errors by field name, in words for the page."""
    errors: dict[str, str] = {}
    data_dir = _data_dir()
    bundle = None
    upload = request.files.get("bundle")
    try:
        if upload and upload.filename:
            path = store_upload(data_dir, upload.filename, upload.read())
            form["bundle_name"] = path.name
        elif form["bundle_name"]:
            path = stored(data_dir, form["bundle_name"])
        else:
            raise BundleProblem("choose a signed bundle file (.bundle from `edge-avatar bundle build`)")
        bundle = check_bundle(path, trusted_keys(data_dir), dt.datetime.now(dt.timezone.utc))
    except BundleProblem as err:
        errors["bundle"] = str(err)
        form["bundle_name"] = ""
    views = current_app.extensions["console_fleet"].views()
    members: list[str] = []
    if form["target"] == "group":
        members = sorted(d for d, v in views.items() if form["group"] in v.status.get("groups", []))
        if not form["group"] or not members:
            errors["group"] = f"no device of group {form['group']!r} has announced itself" if form["group"] \
                else "choose a group"
    else:
        ids = [d for d in re.split(r"[\s,]+", form["devices"]) if d]
        unknown = [d for d in ids if d not in views]
        if not ids:
            errors["devices"] = "list the device ids, separated by commas or spaces"
        elif unknown:
            errors["devices"] = f"no such device has announced itself: {', '.join(unknown[:10])}"
        members = sorted(set(ids))
    waves, abort_at, wave_timeout = [], 0.0, 600.0
    try:
        waves = parse_waves(form["waves"])
    except FleetError as err:
        errors["waves"] = str(err).replace("--waves ", "")
    try:
        text = form["abort_at"].strip()
        abort_at = 0.0 if text in ("0", "0%") else parse_percentages(text, "abort threshold")[0]
    except FleetError as err:
        errors["abort_at"] = str(err)
    try:
        wave_timeout = float(form["wave_timeout"])
        if not 10 <= wave_timeout <= 86400:
            raise ValueError
    except ValueError:
        errors["wave_timeout"] = f"expected seconds from 10 to 86400, got {form['wave_timeout']!r}"
    return errors, (bundle, members, waves, abort_at, wave_timeout)


def _rollout(rollout_id: int) -> dict:
    row = manager().get(rollout_id)
    if row is None:
        abort(404, description=f"no rollout {rollout_id}")
    return row


def _render_rollout(template: str, rollout_id: int):
    row = _rollout(rollout_id)
    return render_template(template, r=row, can_abort=can_abort(row["state"]),
                           can_roll_back=can_roll_back(row["state"]))


@bp.get("/<int:rollout_id>")
@require_role(Role.VIEWER)
def show(rollout_id: int):
    return _render_rollout("fleet/rollout.html", rollout_id)


@bp.get("/<int:rollout_id>/panel")
@require_role(Role.VIEWER)
def panel(rollout_id: int):
    return _render_rollout("fleet/rollout_panel.html", rollout_id)


@bp.post("/<int:rollout_id>/abort")
@require_role(Role.ADMIN)
def abort_rollout(rollout_id: int):
    row = _rollout(rollout_id)
    try:
        if not can_abort(row["state"]):
            raise FleetError(f"rollout {rollout_id} is {row['state']}: nothing to abort")
        manager().abort(rollout_id)
    except FleetError as err:
        audit.record("rollout.abort", f"rollout {rollout_id}", error=str(err))
        return render_template("error.html", code=409, message=str(err)), 409
    audit.record("rollout.abort", f"rollout {rollout_id}")
    return redirect(url_for("rollouts.show", rollout_id=rollout_id))


@bp.post("/<int:rollout_id>/rollback")
@require_role(Role.ADMIN)
def roll_back(rollout_id: int):
    row = _rollout(rollout_id)
    try:
        if not can_roll_back(row["state"]):
            raise FleetError(f"rollout {rollout_id} is {row['state']}: it cannot be rolled back now")
        manager().roll_back(rollout_id, current_user_name())
    except FleetError as err:
        audit.record("rollout.rollback", f"rollout {rollout_id}", error=str(err))
        return render_template("error.html", code=409, message=str(err)), 409
    audit.record("rollout.rollback", f"rollout {rollout_id}")
    return redirect(url_for("rollouts.show", rollout_id=rollout_id))
