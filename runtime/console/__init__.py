"""The web console (`edge-avatar console`): a Flask application for fleet admins and venue editors.

Layout: `app.py` builds the application (`create_app`), `settings.py` its settings, `db/` the models and
Alembic migrations, `auth/` users, login sessions and roles, `audit.py` the audit log, `fleet_area/` the
devices and rollouts pages, `live/` server-sent events, `content/` the content editor's pages.
See docs/console.md.
"""
