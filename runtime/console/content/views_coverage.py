"""Coverage: left-out examples, the editor's test questions, weak intents, unknown words, "add as example"."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from runtime.shared.errors import ContentError

from .. import audit
from ..auth.roles import Role, require_role
from . import drafts_store as store
from .blueprint import bp
from .coverage import EditorQuestion, coverage
from .draft_model import add_example, dump_yaml, parse_yaml
from .draft_pack import load_draft
from .views import change_draft, load_or_404

MAX_TESTS = 500


@bp.get("/d/<name>/coverage")
@require_role(Role.VIEWER)
def coverage_page(name: str):
    body = load_or_404(name)
    try:
        pack = load_draft(parse_yaml(body.yaml))
    except ContentError as err:
        return render_template("content/coverage.html", name=name, error=str(err), cov=None, intents=[])
    return render_template("content/coverage.html", name=name, error=None, cov=coverage(pack, body.tests),
                           intents=[i.id for i in pack.intents], languages=pack.languages)


@bp.post("/d/<name>/tests")
@require_role(Role.EDITOR)
def add_tests(name: str):
    """Test questions, one per line, for an expected intent (empty: the fallback) in a language."""
    lang, expected = request.form.get("lang", ""), request.form.get("expected") or None
    lines = [q.strip() for q in request.form.get("questions", "").splitlines() if q.strip()]
    clear = request.form.get("action") == "clear"
    if not clear and (lang not in ("zh", "en") or not lines):
        flash("questions: expected one or more questions, one per line, and their language", "error")
        return redirect(url_for("content.coverage_page", name=name))

    def change(body: store.DraftBody) -> None:
        body.tests = [] if clear else (body.tests + [EditorQuestion(q, lang, expected) for q in lines])[:MAX_TESTS]
    change_draft(name, change)
    audit.record("content.tests", f"draft {name}", added=len(lines), what=request.form.get("action", "add"))
    return redirect(url_for("content.coverage_page", name=name))


@bp.post("/d/<name>/add-example")
@require_role(Role.EDITOR)
def add_as_example(name: str):
    intent, lang, question = (request.form.get(k, "") for k in ("intent", "lang", "question"))

    def change(body: store.DraftBody) -> None:
        body.yaml = dump_yaml(add_example(parse_yaml(body.yaml), intent, lang, question))
    try:
        change_draft(name, change)
    except ContentError as err:
        flash(str(err), "error")
        return redirect(url_for("content.coverage_page", name=name))
    audit.record("content.add_example", f"draft {name}", intent=intent, lang=lang, question=question)
    flash(f"added {question!r} to {intent} ({lang})", "ok")
    return redirect(url_for("content.coverage_page", name=name))
