"""Several consoles on one database (issue 31: "one console behind a load balancer"): a rollout belongs
to the console process that runs it and carries that console's heartbeat. A second console starting,
or a page on it, leaves a live rollout alone; a rollout whose console went silent is marked failed
with the reason. On SQLite and on a real PostgreSQL (console_db_url's two parameters)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from runtime.console.fleet_area.rollout_owner import STALE_AFTER_S, orphaned_reason
from tests.console_fixtures import *  # noqa: F403
from tests.console_fixtures import simulated_kiosks, wait_for
from tests.fleet_fixtures import keys, panel_bundle

T0 = dt.datetime(2026, 12, 6, 12, 0, 0)


@pytest.mark.parametrize("console_db_url", [None], ids=["sqlite"])
def test_only_a_rollout_under_way_whose_owner_went_silent_is_orphaned(console_db_url):
    fresh = T0 - dt.timedelta(seconds=STALE_AFTER_S - 1)
    stale = T0 - dt.timedelta(seconds=STALE_AFTER_S + 1)
    assert orphaned_reason("running", "other", fresh, T0, me="me") is None
    assert "(other) stopped" in orphaned_reason("running", "other", stale, T0, me="me")
    assert orphaned_reason("publishing", "other", stale, T0, me="me") is not None
    assert orphaned_reason("rolling-back", "other", stale, T0, me="me") is not None
    assert orphaned_reason("complete", "other", stale, T0, me="me") is None       # finished: history
    assert orphaned_reason("running", "me", stale, T0, me="me") is None           # ours: we beat it
    assert "no heartbeat recorded" in orphaned_reason("running", None, None, T0, me="me")


def _row(db, state: str, owner: str | None, heartbeat_at) -> int:
    from runtime.console.db.models import Rollout
    with db.sessions() as s, s.begin():
        r = Rollout(bundle_id="", bundle_file="/x/panel.bundle", target=json.dumps(["k1"]), waves="100", abort_at=0.2,
                    state=state, progress="{}", created_by="ada", created_at=T0, updated_at=T0,
                    owner=owner, heartbeat_at=heartbeat_at)
        s.add(r)
        s.flush()
        return r.id


def test_a_second_console_fails_only_the_rollouts_whose_console_stopped(console_settings, fake_fleet):
    from runtime.console.audit import utcnow
    from runtime.console.db.database import Database
    from runtime.console.fleet_area.rollouts import RolloutManager
    console_settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(console_settings.database_url)
    db.upgrade()
    try:
        first = RolloutManager(db, fake_fleet)
        now = utcnow()
        live = _row(db, "running", first.owner, now)                    # the first console's, beating
        crashed = _row(db, "running", "host:42:dead", now - dt.timedelta(minutes=5))
        legacy = _row(db, "publishing", None, None)                      # before owners were recorded
        done = _row(db, "complete", "host:42:dead", now - dt.timedelta(days=1))

        second = RolloutManager(db, fake_fleet)                          # another console starts
        assert second.owner != first.owner
        assert second.get(live)["state"] == "running"
        assert second.get(done)["state"] == "complete"
        for gone in (crashed, legacy):
            assert second.get(gone)["state"] == "failed"
        assert "(host:42:dead) stopped" in second.get(crashed)["progress"]["error"]
        assert "no heartbeat recorded" in second.get(legacy)["progress"]["error"]

        first._running.add(live)                                         # as start() does
        later = now + dt.timedelta(seconds=STALE_AFTER_S * 3)
        first.beat(later - dt.timedelta(seconds=5))                      # the first console is alive
        assert second.sweep(later) == [] and second.get(live)["state"] == "running"
        assert second.sweep(later + dt.timedelta(seconds=STALE_AFTER_S * 2)) == [live]   # it went silent
        assert "stopped while it was under way" in second.get(live)["progress"]["error"]
    finally:
        db.dispose()


def _admin(app, name):
    from runtime.console.audit import utcnow
    from runtime.console.auth.roles import Role
    from runtime.console.auth.users import add_user
    from tests.console_fixtures import PASSWORD, csrf_of, login
    with app.extensions["console_db"].sessions() as s, s.begin():
        add_user(s, name, PASSWORD, Role.ADMIN, utcnow())
    client = app.test_client()
    assert login(client, name).status_code == 302
    client.csrf = csrf_of(client.get("/fleet/").get_data(as_text=True))
    return client


def test_a_live_rollout_survives_another_console_starting_and_is_aborted_where_it_runs(
        console_settings, console_broker, tmp_path):
    import io

    from runtime.console.app import close_app, create_app
    from runtime.console.fleet_area.service import open_fleet_service
    key, pub, _ = keys(tmp_path)
    data_dir = console_settings.data_dir
    (data_dir / "trusted-keys").mkdir(parents=True)
    (data_dir / "trusted-keys" / "admin.pub").write_bytes(pub.read_bytes())
    bundle = panel_bundle(tmp_path, key, "6.0.0")
    group = f"o{uuid.uuid4().hex[:5]}"
    fleet_a = open_fleet_service(console_broker)
    app_a = create_app(console_settings, fleet=fleet_a)
    app_b = fleet_b = None
    try:
        with simulated_kiosks(console_broker, 1, f"a{group}", group=group) as online:
            with simulated_kiosks(console_broker, 1, f"b{group}", group=group) as leaving:
                feed = app_a.extensions["console_fleet"].feed
                wait_for(lambda: sum(1 for r in feed.snapshot()[1].values() if group in r["groups"]) == 2,
                         what="kiosks")
                k = leaving.kiosks[0]
                k.run([k.core.will(k.session)])          # offline: the rollout waits for it, under way
            wait_for(lambda: feed.snapshot()[1][f"b{group}-0000"]["online"] is False, what="one kiosk offline")
            a = _admin(app_a, "ada")
            r = a.post("/fleet/rollouts/new", data={"csrf_token": a.csrf, "target": "group", "group": group,
                                                    "waves": "100", "abort_at": "20", "wave_timeout": "600",
                                                    "bundle": (io.BytesIO(bundle.read_bytes()), bundle.name)},
                       content_type="multipart/form-data")
            assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
            rollout_id = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])
            manager_a = app_a.extensions["console_rollouts"]
            here = online.kiosks[0].core.id.device_id
            wait_for(lambda: manager_a.get(rollout_id)["progress"].get("states", {}).get(here) == "committed",
                     timeout=120, what="the online kiosk committed")

            fleet_b = open_fleet_service(console_broker)              # a second console starts
            app_b = create_app(console_settings, fleet=fleet_b)
            b = _admin(app_b, "bo")
            assert b.get("/fleet/rollouts/").status_code == 200      # its list sweeps for orphans
            assert manager_a.get(rollout_id)["state"] == "running"
            page = b.get(f"/fleet/rollouts/{rollout_id}").get_data(as_text=True)
            assert "running" in page and manager_a.owner in page
            r = b.post(f"/fleet/rollouts/{rollout_id}/abort", data={"csrf_token": b.csrf})
            assert r.status_code == 409 and "abort it there" in r.get_data(as_text=True)
            r = a.post(f"/fleet/rollouts/{rollout_id}/abort", data={"csrf_token": a.csrf})
            assert r.status_code == 302
            manager_a.wait(rollout_id, 60)
            assert manager_a.get(rollout_id)["state"] == "stopped"
    finally:
        for app, fleet in ((app_a, fleet_a), (app_b, fleet_b)):
            if app is not None:
                close_app(app)
                fleet.close()
                app.extensions["console_db"].dispose()
