"""Pack list, new draft (template or upload), the editor and its save-and-check endpoint."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from runtime.shared.errors import ContentError

from .. import audit
from ..auth.roles import Role, require_role
from ..db.database import db_session
from . import drafts_store as store
from .blueprint import bp
from .draft_edits import YAML_FIELD, apply_field, check_text
from .draft_model import add_intent, dump_yaml, parse_yaml, remove_intent
from .editor_form import sections
from .templates import TEMPLATES, template_text

MAX_UPLOAD = 1024 * 1024


def load_or_404(name: str) -> store.DraftBody:
    try:
        return store.load(db_session(), name)
    except KeyError:
        abort(404, description=f"no draft called {name!r}")


def change_draft(name: str, change: Callable[[store.DraftBody], None]) -> None:
    """Apply `change` to the draft and save it, one change at a time (store.editing); ContentError from
    `change` leaves the draft as it was; no such draft: 404."""
    try:
        with store.editing(db_session(), name) as body:
            change(body)
            store.save(db_session(), name, body, current_user.name)
    except KeyError:
        abort(404, description=f"no draft called {name!r}")


def _index(errors: dict[str, str] | None = None, status: int = 200, form: dict | None = None):
    drafts = [store.summary(r) for r in store.list_drafts(db_session())]
    return render_template("content/index.html", drafts=drafts, templates=TEMPLATES, errors=errors or {},
                           form=form or {}), status


@bp.get("/")
@require_role(Role.VIEWER)
def index():
    return _index()


@bp.post("/new")
@require_role(Role.EDITOR)
def new():
    name, template = request.form.get("name", ""), request.form.get("template", "")
    try:
        store.create(db_session(), name, store.DraftBody(template_text(template), f"template {template}"),
                     current_user.name)
    except ContentError as err:
        field = "template" if str(err).startswith("template") else "name"
        return _index({f"new-{field}": str(err)}, 400, request.form)
    audit.record("content.new", f"draft {name}", template=template)
    return redirect(url_for("content.editor", name=name.strip()))


@bp.post("/upload")
@require_role(Role.EDITOR)
def upload():
    """A faq.yaml from the editor's computer. Text that is not YAML is kept as a draft all the same (its
    YAML box says where it breaks) and the upload field says so: nothing the editor gave is lost."""
    name, file = request.form.get("name", ""), request.files.get("file")
    errors: dict[str, str] = {}
    raw = file.read(MAX_UPLOAD + 1) if file else b""
    if not raw:
        errors["upload-file"] = "file: expected a faq.yaml file"
    elif len(raw) > MAX_UPLOAD:
        errors["upload-file"] = f"file: expected at most {MAX_UPLOAD // 1024} KB"
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            errors["upload-file"] = f"{file.filename}: expected UTF-8 text (byte {err.start} is not)"
    if errors:
        return _index(errors, 400, request.form)
    try:
        store.create(db_session(), name, store.DraftBody(text, f"upload {file.filename}"), current_user.name)
    except ContentError as err:
        return _index({"upload-name": str(err)}, 400, request.form)
    audit.record("content.upload", f"draft {name}", file=file.filename)
    checked = check_text(text)
    if checked.data is None:
        p = checked.problems[0]
        return _index({"upload-file": f"{file.filename}:{p.line}: {p.message}. It is kept as draft "
                                      f"{name.strip()!r}: open it to fix it in the YAML box."}, 400, request.form)
    return redirect(url_for("content.editor", name=name.strip()))


@bp.post("/open")
@require_role(Role.ADMIN)
def open_folder():
    """A pack folder on the machine the console runs on (an admin's: e.g. a kiosk's own installed pack
    when the console runs on the kiosk); its faq.yaml becomes a draft, the folder is not changed."""
    from pathlib import Path

    from runtime.dialogue.content_pack import PACK_FILE
    name, folder = request.form.get("name", ""), request.form.get("folder", "").strip()
    file = Path(folder).expanduser() / PACK_FILE
    if not folder or not file.is_file():
        return _index({"open-folder": f"folder: expected a content pack folder holding {PACK_FILE}, "
                                      f"got {folder!r}"}, 400, request.form)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return _index({"open-folder": f"{file}: cannot read it as UTF-8 text ({err})"}, 400, request.form)
    try:
        store.create(db_session(), name, store.DraftBody(text, f"folder {folder}"), current_user.name)
    except ContentError as err:
        return _index({"open-name": str(err)}, 400, request.form)
    audit.record("content.open", f"draft {name}", folder=folder)
    return redirect(url_for("content.editor", name=name.strip()))


@bp.get("/d/<name>")
@require_role(Role.VIEWER)
def editor(name: str):
    body = load_or_404(name)
    checked = check_text(body.yaml)
    return render_template("content/editor.html", name=name, yaml_text=body.yaml, checked=checked,
                           sections=sections(checked.data) if checked.data is not None else [],
                           yaml_field=YAML_FIELD, source=body.source)


@bp.get("/d/<name>/check")
@require_role(Role.VIEWER)
def check(name: str):
    return jsonify(check_text(load_or_404(name).yaml).as_json())


@bp.post("/d/<name>/field")
@require_role(Role.EDITOR)
def save_field(name: str):
    """One field's text: written to the draft at once, then checked; the problems go back to the page."""
    payload = request.get_json(silent=True) or {}
    path, text = str(payload.get("path", "")), payload.get("text")
    if not isinstance(text, str):
        return jsonify(error="text: expected the field's text"), 400
    saved: list[str] = []

    def change(body: store.DraftBody) -> None:
        body.yaml = apply_field(body.yaml, path, text)
        saved.append(body.yaml)
    try:
        change_draft(name, change)
    except ContentError as err:
        return jsonify(error=str(err), field=path), 400
    audit.record("content.edit", f"draft {name}", field=path)
    checked = check_text(saved[0])
    out = checked.as_json()
    out["reload"] = path in (YAML_FIELD, "languages")     # the form's fields change with these
    return jsonify(out)


@bp.post("/d/<name>/intents")
@require_role(Role.EDITOR)
def intents(name: str):
    def change(body: store.DraftBody) -> None:
        data = parse_yaml(body.yaml)
        if request.form.get("action") == "remove":
            try:
                index = int(request.form.get("index", ""))
            except ValueError:
                raise ContentError("index: expected the number of the intent to remove") from None
            data = remove_intent(data, index)
        else:
            data = add_intent(data, request.form.get("id", "").strip())
        body.yaml = dump_yaml(data)
    try:
        change_draft(name, change)
    except ContentError as err:
        flash(str(err), "error")
        return redirect(url_for("content.editor", name=name))
    audit.record(f"content.intent.{request.form.get('action', 'add')}", f"draft {name}",
                 intent=request.form.get("id") or request.form.get("index"))
    return redirect(url_for("content.editor", name=name) + "#intents-end")


@bp.get("/d/<name>/faq.yaml")
@require_role(Role.VIEWER)
def download(name: str):
    return Response(load_or_404(name).yaml, mimetype="text/yaml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}-faq.yaml"'})
