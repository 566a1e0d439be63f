"""The Fleet area: the live devices feed, device page and commands, rollouts of signed bundles —
with the fake fleet (both databases) and with a real Mosquitto and simulated kiosks."""

from __future__ import annotations

import io
import json
import re
import uuid

import pytest

from fleet.admin import DeviceView
from runtime.console.fleet_area.rollout_state import IllegalRolloutStep, RolloutState, advance
from runtime.console.fleet_area.rows import device_row
from runtime.console.fleet_area.views import parse_command
from runtime.console.live.feed import ChangeFeed
from tests.console_fixtures import *  # noqa: F403
from tests.console_fixtures import simulated_kiosks, wait_for
from tests.fleet_fixtures import keys, panel_bundle

SQLITE = pytest.mark.parametrize("console_db_url", [None], ids=["sqlite"])


# ---- pure parts ------------------------------------------------------------------------------------
def test_change_feed_sends_only_what_changed_and_the_whole_table_to_a_page_too_far_behind():
    feed = ChangeFeed(keep=2)
    assert feed.publish({"a": {"v": 1}, "b": {"v": 1}}) == 2
    assert feed.publish({"a": {"v": 1}, "b": {"v": 1}}) == 0          # nothing new: no event
    assert feed.publish({"a": {"v": 2}, "b": {"v": 1}}) == 1
    assert feed.since(1) == (2, {"a": {"v": 2}}, False)
    feed.publish({"a": {"v": 2}})                                        # b gone: sent as None
    assert feed.since(2) == (3, {"b": None}, False)
    seq, rows, full = feed.since(0)                                       # older than kept: everything
    assert full and rows == {"a": {"v": 2}} and seq == 3


def test_rollout_states_move_only_by_the_table():
    assert advance("publishing", RolloutState.RUNNING) is RolloutState.RUNNING
    assert advance("complete", RolloutState.ROLLING_BACK) is RolloutState.ROLLING_BACK
    with pytest.raises(IllegalRolloutStep, match="from rolled-back to running"):
        advance("rolled-back", RolloutState.RUNNING)


def test_device_row_has_every_column_of_the_table():
    view = DeviceView("k1", {"online": True, "site": "mall", "groups": ["g"], "hwtest": {"result": "FAIL"}},
                      {"versions": {"content": "3"}},
                      {"fps": 59.5, "interactions": 40, "answers_today": 12, "errors": {"count": 2}}, 1000.0)
    row = device_row(view, 1010.0)
    assert row == {"device": "k1", "site": "mall", "groups": ["g"], "online": True, "versions": {"content": "3"},
                   "health": "warn", "hwtest": "FAIL", "last_seen": 1000.0, "fps": 59.5, "answers": 12, "errors": 2}
    # "answers today" is today's count; a kiosk that does not send one shows none, not its turns since start
    old_kiosk = DeviceView("k2", {"online": True}, {}, {"interactions": 40}, 1000.0)
    assert device_row(old_kiosk, 1010.0)["answers"] is None


def test_device_charts_draw_the_metrics_fields_from_the_samples_kept():
    from runtime.console.fleet_area.charts import device_charts
    history = [{"t": 10.0 * i, "fps": 50.0 + i, "health": {"load1": "busy"}} for i in range(5)]
    charts = {c["name"]: c for c in device_charts(history)}
    assert charts["fps"]["count"] == 5 and charts["fps"]["last"] == 54.0 and "<polyline" in charts["fps"]["svg"]
    assert charts["load1"]["count"] == 0 and "no samples yet" in charts["load1"]["svg"]     # not a number: left out


@pytest.mark.parametrize("name,form,error", [
    ("format-disk", {}, "command: expected one of"),
    ("say", {"text": ""}, "text: expected the words"),
    ("set-volume", {"level": "3"}, "level: expected a number from 0 to 1"),
    ("collect-logs", {"lines": "x"}, "lines: expected 1-2000"),
])
def test_bad_command_arguments_are_named(name, form, error):
    with pytest.raises(ValueError, match=error):
        parse_command(name, form)


# ---- with the fake fleet, on both databases ----------------------------------------------------------------
def _two_views():
    return {"k1": DeviceView("k1", {"online": True, "site": "mall", "groups": ["g"]}, {}, {"fps": 60.0}, 1.0),
            "k2": DeviceView("k2", {"online": False, "site": "museum", "groups": ["g"]}, {}, {}, 1.0)}


def test_device_page_and_a_command_with_its_reply_audited(client_as, fake_fleet):
    fake_fleet.set_views(_two_views())
    admin = client_as("admin")
    page = admin.get("/fleet/device/k1").get_data(as_text=True)
    assert "k1" in page and "id=\"cmd-say\"" in page and "fps" in page
    r = admin.post("/fleet/device/k1/command/say", data={"text": "hello"}, headers={"X-CSRFToken": admin.csrf})
    assert r.status_code == 200 and r.json["replies"][0]["code"] == 200
    assert fake_fleet.commands == [("k1", "say", {"text": "hello"})]
    audit_page = admin.get("/audit").get_data(as_text=True)
    assert "command.say" in audit_page and "device k1" in audit_page and "200 ok" in audit_page
    assert admin.get("/fleet/device/nope").status_code == 404


def test_a_viewer_sees_no_command_or_push_and_is_refused_403(client_as, fake_fleet):
    fake_fleet.set_views(_two_views())
    viewer = client_as("viewer")
    assert "cmd-say" not in viewer.get("/fleet/device/k1").get_data(as_text=True)
    assert "new-rollout" not in viewer.get("/fleet/rollouts/").get_data(as_text=True)
    r = viewer.post("/fleet/device/k1/command/restart", headers={"X-CSRFToken": viewer.csrf})
    assert r.status_code == 403 and fake_fleet.commands == []
    r = viewer.post("/fleet/rollouts/new", data={"csrf_token": viewer.csrf, "target": "group", "group": "g"})
    assert r.status_code == 403


def test_a_command_without_the_csrf_token_is_refused(client_as, fake_fleet):
    fake_fleet.set_views(_two_views())
    admin = client_as("admin")
    assert admin.post("/fleet/device/k1/command/restart").status_code == 400
    assert fake_fleet.commands == []


@SQLITE
def test_unsigned_tampered_and_untrusted_bundles_are_refused_at_the_field(client_as, fake_fleet, console_app,
                                                                          tmp_path):
    fake_fleet.set_views(_two_views())
    admin = client_as("admin")
    data_dir = console_app.config["CONSOLE_SETTINGS"].data_dir
    key, pub, _ = keys(tmp_path)
    bundle = panel_bundle(tmp_path, key, "1.0.0")

    def push(blob: bytes, name="panel.bundle"):
        r = admin.post("/fleet/rollouts/new", data={"csrf_token": admin.csrf, "target": "group", "group": "g",
                                                    "waves": "50,100", "abort_at": "20", "wave_timeout": "60",
                                                    "bundle": (io.BytesIO(blob), name)},
                       content_type="multipart/form-data")
        m = re.search(r'id="error-bundle">([^<]+)<', r.get_data(as_text=True))
        return r.status_code, m.group(1) if m else ""

    code, message = push(bundle.read_bytes())
    assert code == 400 and "trusts no signing key" in message
    (data_dir / "trusted-keys").mkdir()
    (data_dir / "trusted-keys" / "admin.pub").write_bytes(pub.read_bytes())
    assert "not a signed bundle" in push(b"just some bytes")[1]
    raw = bytearray(bundle.read_bytes())
    at = raw.find(b"lobby panel v1.0.0")
    raw[at:at + 5] = b"LOBBY"                                       # one payload byte changed after signing
    assert "tampered" in push(bytes(raw))[1]
    other_key, _, _ = keys(tmp_path, "stranger")
    assert "does not trust" in push(panel_bundle(tmp_path / "x", other_key, "1.0.1").read_bytes())[1] \
        if (tmp_path / "x").mkdir() is None else False
    r = admin.post("/fleet/rollouts/new", data={"csrf_token": admin.csrf, "target": "devices", "devices": "zz9",
                                                "waves": "200", "abort_at": "x", "wave_timeout": "1"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    for field in ("bundle", "devices", "waves", "abort_at", "wave_timeout"):
        assert f'id="error-{field}"' in page, field


# ---- a real Mosquitto, simulated kiosks, the real FleetService -----------------------------------------------
@pytest.fixture
def mqtt_app(console_settings, console_broker):
    from runtime.console.app import create_app
    from runtime.console.fleet_area.service import open_fleet_service
    console_settings.data_dir.mkdir(parents=True, exist_ok=True)
    fleet = open_fleet_service(console_broker)
    app = create_app(console_settings, fleet=fleet)
    yield app
    fleet.close()
    app.extensions["console_db"].dispose()


def _login_admin(app):
    from runtime.console.audit import utcnow
    from runtime.console.auth.roles import Role
    from runtime.console.auth.users import add_user
    from tests.console_fixtures import PASSWORD, csrf_of, login
    with app.extensions["console_db"].sessions() as s, s.begin():
        add_user(s, "root-admin", PASSWORD, Role.ADMIN, utcnow())
    client = app.test_client()
    assert login(client, "root-admin").status_code == 302
    client.csrf = csrf_of(client.get("/fleet/").get_data(as_text=True))
    return client


def test_simulated_kiosks_appear_live_and_answer_a_command(mqtt_app, console_broker):
    prefix = f"c{uuid.uuid4().hex[:5]}"
    with simulated_kiosks(console_broker, 2, prefix) as sim:
        feed = mqtt_app.extensions["console_fleet"].feed
        ids = sorted(k.core.id.device_id for k in sim.kiosks)
        wait_for(lambda: all(feed.snapshot()[1].get(d, {}).get("online") for d in ids), what="both kiosks online")
        client = _login_admin(mqtt_app)
        rows = client.get("/fleet/devices.json").json["rows"]
        assert rows[ids[0]]["groups"] == [prefix] and rows[ids[0]]["site"]
        r = client.post(f"/fleet/device/{ids[0]}/command/collect-logs", data={"lines": "10"},
                        headers={"X-CSRFToken": client.csrf})
        assert r.status_code == 200 and r.json["replies"][0]["code"] == 200, r.json


def test_a_rollout_from_the_console_commits_on_two_kiosks_and_is_kept(mqtt_app, console_broker, tmp_path):
    data_dir = mqtt_app.config["CONSOLE_SETTINGS"].data_dir
    key, pub, _ = keys(tmp_path)
    (data_dir / "trusted-keys").mkdir()
    (data_dir / "trusted-keys" / "admin.pub").write_bytes(pub.read_bytes())
    bundle = panel_bundle(tmp_path, key, "2.0.0")
    prefix = f"r{uuid.uuid4().hex[:5]}"
    with simulated_kiosks(console_broker, 2, prefix) as sim:
        feed = mqtt_app.extensions["console_fleet"].feed
        wait_for(lambda: sum(1 for r in feed.snapshot()[1].values() if prefix in r["groups"]) == 2,
                 what="both kiosks seen")
        client = _login_admin(mqtt_app)
        rollout_id = _push(client, bundle, prefix, waves="50,100", wave_timeout="120")
        row = _finished(mqtt_app, rollout_id)
        assert all(k.state.versions().get("panel") == "2.0.0" for k in sim.kiosks)
        assert [w["committed"] for w in row["progress"]["waves"]] == [1, 1]
        page = client.get(f"/fleet/rollouts/{rollout_id}").get_data(as_text=True)
        assert "complete" in page and page.count("committed") >= 2
        device_page = client.get(f"/fleet/device/{sim.kiosks[0].core.id.device_id}").get_data(as_text=True)
        assert f'href="/fleet/rollouts/{rollout_id}"' in device_page and "panel 2.0.0" in device_page
        audit_page = client.get("/audit").get_data(as_text=True)
        assert "rollout.start" in audit_page and "rollout.complete" in audit_page
        assert json.loads(json.dumps(row))["created_by"] == "root-admin"


def _trust(app, tmp_path):
    data_dir = app.config["CONSOLE_SETTINGS"].data_dir
    key, pub, _ = keys(tmp_path)
    (data_dir / "trusted-keys").mkdir(exist_ok=True)
    (data_dir / "trusted-keys" / "admin.pub").write_bytes(pub.read_bytes())
    return key


def _push(client, bundle, group=None, waves="100", abort_at="20", wave_timeout="600", rollback_on_abort="",
          devices=None):
    target = {"target": "devices", "devices": ", ".join(devices)} if devices else {"target": "group", "group": group}
    r = client.post("/fleet/rollouts/new", data={"csrf_token": client.csrf, **target,
                                                 "waves": waves, "abort_at": abort_at, "wave_timeout": wave_timeout,
                                                 "rollback_on_abort": rollback_on_abort,
                                                 "bundle": (io.BytesIO(bundle.read_bytes()), bundle.name)},
                    content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    return int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _finished(app, rollout_id):
    manager = app.extensions["console_rollouts"]
    manager.wait(rollout_id, 180)
    row = manager.get(rollout_id)
    assert row["state"] == "complete", row
    return row


@SQLITE
def test_failures_past_the_threshold_abort_the_rollout_and_leave_the_rest_alone(mqtt_app, console_broker, tmp_path):
    key = _trust(mqtt_app, tmp_path)
    bundle = panel_bundle(tmp_path, key, "3.0.0")
    prefix = f"f{uuid.uuid4().hex[:5]}"
    with simulated_kiosks(console_broker, 4, prefix, failing=range(4)) as sim:
        feed = mqtt_app.extensions["console_fleet"].feed
        wait_for(lambda: sum(1 for r in feed.snapshot()[1].values() if prefix in r["groups"]) == 4, what="kiosks")
        client = _login_admin(mqtt_app)
        rollout_id = _push(client, bundle, prefix, waves="25,100", abort_at="20", wave_timeout="120")
        manager = mqtt_app.extensions["console_rollouts"]
        manager.wait(rollout_id, 180)
        row = manager.get(rollout_id)
        assert row["state"] == "aborted" and len(row["progress"]["waves"][0]["devices"]) == 1
        assert not row["progress"]["waves"][1]["done"]
        untouched = row["progress"]["waves"][1]["devices"]
        assert all(not k.state.refused for k in sim.kiosks if k.core.id.device_id in untouched)


@SQLITE
def test_an_admin_aborts_a_rollout_under_way_then_rolls_it_back(mqtt_app, console_broker, tmp_path):
    key = _trust(mqtt_app, tmp_path)
    bundle = panel_bundle(tmp_path, key, "4.0.0")
    group = f"g{uuid.uuid4().hex[:5]}"
    feed = mqtt_app.extensions["console_fleet"].feed
    with simulated_kiosks(console_broker, 1, f"a{group}", group=group) as online:
        with simulated_kiosks(console_broker, 1, f"b{group}", group=group) as leaving:
            wait_for(lambda: sum(1 for r in feed.snapshot()[1].values() if group in r["groups"]) == 2, what="kiosks")
            k = leaving.kiosks[0]
            k.run([k.core.will(k.session)])       # what the broker publishes when a kiosk's link dies
        gone = f"b{group}-0000"                   # offline: it never installs
        wait_for(lambda: feed.snapshot()[1][gone]["online"] is False, what="one kiosk offline")
        client = _login_admin(mqtt_app)
        rollout_id = _push(client, bundle, group)
        manager = mqtt_app.extensions["console_rollouts"]
        here = online.kiosks[0].core.id.device_id
        wait_for(lambda: manager.get(rollout_id)["progress"].get("states", {}).get(here) == "committed",
                 timeout=120, what="the online kiosk committed")
        assert manager.get(rollout_id)["state"] == "running"           # still waiting for the offline one
        r = client.post(f"/fleet/rollouts/{rollout_id}/abort", data={"csrf_token": client.csrf})
        assert r.status_code == 302
        manager.wait(rollout_id, 60)
        assert manager.get(rollout_id)["state"] == "stopped"
        r = client.post(f"/fleet/rollouts/{rollout_id}/rollback", data={"csrf_token": client.csrf})
        assert r.status_code == 302
        row = wait_for(lambda: (x := manager.get(rollout_id))["state"] == "rolled-back" and x, what="rolled back")
        assert list(row["progress"]["rolled_back"]) == [here]
        assert row["progress"]["rolled_back"][here][0].startswith("200")
        page = client.get("/audit").get_data(as_text=True)
        assert "rollout.abort" in page and "rollout.rollback" in page and "rollout.rolled-back" in page
        assert client.post(f"/fleet/rollouts/{rollout_id}/abort", data={"csrf_token": client.csrf}).status_code == 409


@SQLITE
def test_a_push_to_named_devices_reaches_those_and_no_other_kiosk_of_their_group(mqtt_app, console_broker, tmp_path):
    key = _trust(mqtt_app, tmp_path)
    bundle = panel_bundle(tmp_path, key, "5.0.0")
    prefix = f"n{uuid.uuid4().hex[:5]}"
    with simulated_kiosks(console_broker, 3, prefix) as sim:
        feed = mqtt_app.extensions["console_fleet"].feed
        wait_for(lambda: sum(1 for r in feed.snapshot()[1].values() if prefix in r["groups"]) == 3, what="kiosks")
        named = [f"{prefix}-0000", f"{prefix}-0002"]
        client = _login_admin(mqtt_app)
        rollout_id = _push(client, bundle, devices=named, wave_timeout="120")
        row = _finished(mqtt_app, rollout_id)
        assert sorted(row["target"]) == named
        assert {d: s for d, s in row["progress"]["results"].items()} == {d: "committed" for d in named}
        versions = {k.core.id.device_id: k.state.versions().get("panel") for k in sim.kiosks}
        assert versions[named[0]] == versions[named[1]] == "5.0.0"
        assert versions[f"{prefix}-0001"] != "5.0.0"                 # in the group, not named: untouched
        page = client.get(f"/fleet/rollouts/{rollout_id}").get_data(as_text=True)
        assert "complete" in page and f'data-device="{prefix}-0001"' not in page
