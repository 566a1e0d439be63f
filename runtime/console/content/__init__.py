"""The Content area of the console: venue editors open a pack (or a template), edit it with every
`content check` problem at its field, try questions (typed or spoken) and hear and see the avatar
answer, measure coverage, and build a signed content bundle for a rollout.

Pure services: `draft_model` (the pack's data and edits), `editor_form` (the form's fields),
`draft_check` / `draft_edits` (the checker at the field), `try_it`, `coverage`, `answer_preview`,
`bundle_flow`; backends behind Protocols (`answer_voices`, `hearing`), chosen once in `backends`;
drafts in the console's database (`drafts_store`); pages in `views*.py`, `templates/content/`, `static/`.
"""

from __future__ import annotations


def register(app) -> None:
    from ..app import add_area
    from . import views, views_bundle, views_coverage, views_try  # noqa: F401  (routes on bp)
    from .backends import install_backends
    from .blueprint import bp
    install_backends(app)
    app.register_blueprint(bp)
    add_area(app, "Content", "content.index")
