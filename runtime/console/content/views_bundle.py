"""Build a signed content bundle from a draft and hand it to a rollout (the Fleet area)."""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
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
    # the Fleet area takes a bundle by its name from there
    from ..fleet_area.bundles import BUNDLES
    return current_app.config["CONSOLE_SETTINGS"].data_dir / BUNDLES


def rollout_url(bundle_name: str) -> str:
    """The Fleet area's new-rollout page with this bundle chosen (its hand-off, docs/console.md)."""
    return url_for("rollouts.new", bundle=bundle_name)


def trust_note(key_id: str) -> str:
    """Empty when the console trusts the key the bundle was signed with; else what to do (the rollout
    page verifies bundles against DATA/trusted-keys, as kiosks verify against their pinned keys)."""
    from ..fleet_area.bundles import TRUSTED, BundleProblem, trusted_keys
    data_dir = current_app.config["CONSOLE_SETTINGS"].data_dir
    try:
        if key_id in trusted_keys(data_dir).ids:
            return ""
    except BundleProblem:
        pass
    return (f"The console does not trust key {key_id} yet: put its public half (.pub) in "
            f"{data_dir / TRUSTED}/ before the rollout (kiosks must pin it too: --trust-key).")


@bp.get("/d/<name>/bundle")
@require_role(Role.EDITOR)
def bundle_form(name: str):
    load_or_404(name)
    return render_template("content/bundle.html", name=name, errors={}, built=None, form={})


@bp.post("/d/<name>/bundle")
@require_role(Role.EDITOR)
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
                           rollout=rollout_url(built.path.name), trust=trust_note(built.key_id),
                           user=current_user.name)
