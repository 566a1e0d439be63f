"""The Fleet area: devices table (live), device page with commands, rollouts (live)."""

from __future__ import annotations


def register(app) -> None:
    from ..app import add_area
    from .rollout_views import bp as rollouts_bp
    from .rollouts import RolloutManager
    from .views import bp
    app.extensions["console_rollouts"] = RolloutManager(app.extensions["console_db"], app.extensions["console_fleet"])
    app.register_blueprint(bp)
    app.register_blueprint(rollouts_bp)
    add_area(app, "Fleet", "fleet.devices")
    add_area(app, "Rollouts", "rollouts.index")
