"""Build a signed content bundle from a draft and hand it to a rollout (the Fleet area)."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user

from fleet.errors import FleetError
from runtime.shared.errors import ContentError

from .. import audit
from ..auth.roles import Role, require_role
from .blueprint import bp
from .bundle_flow import build_content_bundle
from .draft_model import parse_yaml
from .views import load_or_404

MAX_KEY = 16 * 1024


def bundles_dir():
    return current_app.config["CONSOLE_SETTINGS"].data_dir / "bundles"


def rollout_url(bundle_name: str) -> str:
    """The Fleet area's new-rollout page with this bundle chosen (its hand-off, docs/console.md)."""
    return "/fleet/rollouts/new?bundle=" + bundle_name


@bp.get("/d/<name>/bundle")
@require_role(Role.ADMIN)
def bundle_form(name: str):
    load_or_404(name)
    return render_template("content/bundle.html", name=name, errors={}, built=None, form={})


@bp.post("/d/<name>/bundle")
@require_role(Role.ADMIN)
def bundle_build(name: str):
    body = load_or_404(name)
    version = request.form.get("version", "").strip()
    key = request.files.get("key")
    key_pem = key.read(MAX_KEY) if key else b""
    errors = {}
    try:
        built = build_content_bundle(parse_yaml(body.yaml), version, key_pem, bundles_dir(),
                                     request.form.get("owner", ""), request.form.get("licence", ""))
    except (ContentError, FleetError) as err:
        text = str(err)
        field = next((f for f in ("version", "key", "rights.owner", "rights.licence") if text.startswith(f)),
                     "rights" if text.startswith("rights") else "draft")
        errors[field] = text
        return render_template("content/bundle.html", name=name, errors=errors, built=None, form=request.form), 400
    finally:
        key_pem = b""   # the admin's key is used for this build only
    audit.record("content.bundle", f"draft {name}", bundle=built.path.name, version=version, key_id=built.key_id,
                 sha256=built.sha256)
    return render_template("content/bundle.html", name=name, errors={}, built=built, form=request.form,
                           rollout=rollout_url(built.path.name), user=current_user.name)
