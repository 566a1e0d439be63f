"""The Fleet area: devices table, device page, rollouts."""

from __future__ import annotations


def register(app) -> None:
    from ..app import add_area
    from .views import bp
    app.register_blueprint(bp)
    add_area(app, "Fleet", "fleet.devices")
