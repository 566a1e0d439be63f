"""The device agent against real brokers: Mosquitto (MQTT 5) and RabbitMQ's MQTT plugin (3.1.1,
no retained messages on wildcard subscriptions), same tests, same code."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from fleet import topics as T
from fleet.admin import FleetAdmin
from fleet.agent import MqttAgent
from fleet.agent_core import Identity
from fleet.broker import BrokerConfig, make_client
from fleet.bundle_keys import generate_keypair
from fleet.device_control import StandaloneControl
from fleet.health_check import SelfTestHealthCheck
from runtime.composition.settings_file import check_settings_file
from tests.fleet_brokers import BROKERS, fleet_broker
from tests.fleet_fixtures import RecordingHealthCheck, keys, panel_bundle


@pytest.fixture(scope="module", params=BROKERS)
def broker(request, tmp_path_factory):
    with fleet_broker(request.param, tmp_path_factory.mktemp(request.param)) as url:
        yield BrokerConfig.from_args(url)


@pytest.fixture
def fleet(broker, tmp_path):
    """Start agents on this broker; a unique group and ids per test (the broker is shared)."""
    tag = uuid.uuid4().hex[:6]
    key, pub, trusted = keys(tmp_path)
    agents = []

    class Fleet:
        group = f"g{tag}"
        signing_key, public_key = key, pub

        def agent(self, name, health=None, groups=None, **kw):
            device = f"{name}-{tag}"
            a = MqttAgent(Identity(device, tuple(groups or (self.group,)), "Mall A"), broker, tmp_path / device,
                          trusted, StandaloneControl(tmp_path / device, check_settings=check_settings_file), health or RecordingHealthCheck(), **kw)
            a.start()
            agents.append(a)
            return a

        def bundle(self, version, **kw):
            return panel_bundle(tmp_path / uuid.uuid4().hex[:6], key, version, **kw)

    yield Fleet()
    for a in agents:
        a.stop()


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _retained_online(admin, topic):
    raw = admin.read_retained(topic)
    return raw is not None and json.loads(raw)["online"] is True


def _installed_text(agent):
    return (agent.data_dir / "current" / "panel" / "venue-panel.yaml").read_text()


def test_presence_birth_will_and_a_stale_will(broker, fleet):
    a = fleet.agent("kiosk")
    device = a.core.id.device_id
    with FleetAdmin(broker) as admin:
        views = admin.discover(expect=1, timeout=10)
        assert views[device].online and views[device].status["session"] == 1
        assert views[device].status["groups"] == [fleet.group]
        # a will from an older connection arrives after the birth: the agent answers with a new birth,
        # and the admin side never shows the kiosk offline on the strength of it
        ghost = make_client(broker, f"ghost-{device}", v5=False)
        ghost.connect(broker.host, broker.port)
        ghost.loop_start()
        ghost.publish(T.device(device, T.STATUS), json.dumps({"online": False, "session": 0}), 1, True).wait_for_publish(5)
        ghost.disconnect()
        ghost.loop_stop()
        time.sleep(1.0)
        assert admin.devices[device].online
        # the agent re-announces once it has seen the will (fleet/agent_core.py _own_status): until then
        # the broker retains the will, so wait for the new birth rather than read once
        assert _wait(lambda: _retained_online(admin, T.device(device, T.STATUS)))
        # the connection dies without a goodbye: the broker publishes the will, online false
        a.client.socket().close()
        assert _wait(lambda: not admin.devices[device].online or admin.devices[device].status["session"] > 1)
        # ...and it comes back by itself with a newer session
        assert _wait(lambda: admin.devices[device].online and admin.devices[device].status["session"] >= 2, 30)


def test_desired_state_per_group_and_device_is_reconciled_and_reported(broker, fleet):
    a, b = fleet.agent("kiosk-a"), fleet.agent("kiosk-b")
    with FleetAdmin(broker) as admin:
        admin.discover(expect=2, timeout=10)
        v1 = admin.publish_bundle(fleet.bundle("1.0.0"))
        admin.update_desired(("group", fleet.group), bundles={"panel": v1}, settings={"volume": 0.7})
        devices = [a.core.id.device_id, b.core.id.device_id]
        results = admin.wait_for_installs(devices, v1.bundle_id, 30)
        assert {r["state"] for r in results.values()} == {"committed"}
        # the device layer wins over the group layer
        v2 = admin.publish_bundle(fleet.bundle("1.1.0"))
        admin.update_desired(("device", b.core.id.device_id), bundles={"panel": v2}, settings={"volume": 0.3})
        assert admin.wait_for_installs([b.core.id.device_id], v2.bundle_id, 30)[b.core.id.device_id]["state"] == "committed"
        assert _wait(lambda: admin.devices[b.core.id.device_id].reported.get("settings", {}).get("volume") == 0.3)
    assert "v1.0.0" in _installed_text(a) and "v1.1.0" in _installed_text(b)
    assert a.installer.versions() == {"panel": "1.0.0"} and b.installer.versions() == {"panel": "1.1.0"}
    assert "volume: 0.7" in (a.data_dir / "settings.yaml").read_text()
    assert "volume: 0.3" in (b.data_dir / "settings.yaml").read_text()


def test_every_refusal_reaches_the_admin_with_its_reason_and_is_not_retried(broker, fleet, tmp_path):
    a = fleet.agent("kiosk")
    device = a.core.id.device_id
    intruder, _ = generate_keypair(tmp_path / "intruder")
    with FleetAdmin(broker) as admin:
        admin.discover(expect=1, timeout=10)
        cases = {"untrusted-key": panel_bundle(tmp_path / "i", intruder, "5.0.0")}
        good = admin.publish_bundle(fleet.bundle("2.0.0"))
        admin.update_desired(("device", device), bundles={"panel": good})
        assert admin.wait_for_installs([device], good.bundle_id, 30)[device]["state"] == "committed"
        cases["downgrade"] = fleet.bundle("1.0.0")
        cases["health-check-failed"] = fleet.bundle("3.0.0", payload="name: broken\n")
        for reason, bundle in cases.items():
            a.health_check_ok = reason != "health-check-failed"
            a.installer.health_check.ok = a.health_check_ok
            offer = admin.publish_bundle(bundle)
            admin.update_desired(("device", device), bundles={"panel": offer})
            rec = admin.wait_for_installs([device], offer.bundle_id, 30)[device]
            assert (rec["state"], rec["reason"]) == ("rejected", reason), rec
            assert any(e.get("event") == "rejected" and e.get("reason") == reason for e in admin.events)
        calls = len(a.installer.health_check.calls)
        # the same desired state again (new revision): nothing is downloaded or installed twice
        admin.update_desired(("device", device), settings={"note": None})
        time.sleep(1.5)
        assert len(a.installer.health_check.calls) == calls
    assert "v2.0.0" in _installed_text(a)


def test_a_failing_real_self_test_rolls_back_and_the_admin_sees_why(broker, fleet):
    a = fleet.agent("kiosk", health=SelfTestHealthCheck(timeout_s=120))
    device = a.core.id.device_id
    with FleetAdmin(broker) as admin:
        admin.discover(expect=1, timeout=10)
        ok = admin.publish_bundle(fleet.bundle("1.0.0"))
        admin.update_desired(("device", device), bundles={"panel": ok})
        assert admin.wait_for_installs([device], ok.bundle_id, 60)[device]["state"] == "committed"
        bad = admin.publish_bundle(fleet.bundle("1.1.0", payload="name: venue-panel\nformat: flat\n"))
        admin.update_desired(("device", device), bundles={"panel": bad})
        rec = admin.wait_for_installs([device], bad.bundle_id, 60)[device]
    assert rec["reason"] == "health-check-failed" and "resolution" in rec["detail"]
    assert "v1.0.0" in _installed_text(a)


def test_download_resumes_after_a_dropped_connection_without_refetching(broker, fleet, tmp_path):
    import os
    a = fleet.agent("kiosk")
    device = a.core.id.device_id
    textures = os.urandom(3 << 20)
    bundle = fleet.bundle("1.0.0", extra={"textures.bin": textures})
    puts = []
    real_put = a.store.put

    def put_then_maybe_drop(bundle_id, index, data):
        real_put(bundle_id, index, data)
        puts.append(index)
        if len(puts) == 5:
            a.client.socket().close()           # the venue's uplink drops mid-transfer
    a.store.put = put_then_maybe_drop
    with FleetAdmin(broker) as admin:
        admin.discover(expect=1, timeout=10)
        offer = admin.publish_bundle(bundle, chunk_size=128 * 1024)
        admin.update_desired(("device", device), bundles={"panel": offer})
        rec = admin.wait_for_installs([device], offer.bundle_id, 60)[device]
        assert rec["state"] == "committed", rec
    assert sorted(puts) == list(range(len(offer.chunks)))     # every chunk fetched exactly once
    assert a.core.session >= 2                                 # it really reconnected
    assert (a.data_dir / "current/panel/textures.bin").read_bytes() == textures


def test_commands_answer_with_result_codes(broker, fleet):
    a = fleet.agent("kiosk")
    device = ("device", a.core.id.device_id)
    (a.data_dir / "kiosk.log").write_text("".join(f"line {i}\n" for i in range(500)))
    with FleetAdmin(broker) as admin:
        admin.discover(expect=1, timeout=10)
        [status] = admin.command(device, "status")
        assert status["code"] == 200 and status["data"]["device_id"] == a.core.id.device_id
        [vol] = admin.command(device, "set-volume", {"level": 0.4})
        assert vol["code"] == 200 and "volume: 0.4" in (a.data_dir / "settings.yaml").read_text()
        [bad] = admin.command(device, "set-volume", {"level": 7})
        assert bad["code"] == 400 and "0 to 1" in bad["message"]
        [logs] = admin.command(device, "collect-logs", {"lines": 3})
        assert logs["code"] == 200 and logs["data"]["kiosk.log"] == ["line 497\n", "line 498\n", "line 499\n"]
        [unknown] = admin.command(device, "dance")
        assert unknown["code"] == 404
        [restart] = admin.command(device, "restart")
        assert restart["code"] == 501 and "--restart-cmd" in restart["message"]
        [stale] = admin.command(device, "status", expiry_s=-5)
        assert stale["code"] == 408
        group_replies = admin.command(("group", fleet.group), "status", expect=1)
        assert [r["device_id"] for r in group_replies] == [a.core.id.device_id]


def test_admin_rollback_and_config_set_from_the_command_line(broker, fleet, capsys):
    from runtime.cli.main import main as cli_main
    a = fleet.agent("kiosk")
    device = a.core.id.device_id
    url = f"mqtt://{broker.host}:{broker.port}"
    for version in ("1.0.0", "1.1.0"):
        assert cli_main(["fleet", "push", str(fleet.bundle(version)), "--to", f"device:{device}", "--wait",
                         "--timeout", "60", "--broker", url]) == 0
    assert "v1.1.0" in _installed_text(a)
    assert cli_main(["fleet", "rollback", "--to", f"device:{device}", "--kind", "panel", "--broker", url]) == 0
    assert f"{device}: 200 panel back on 1.0.0" in capsys.readouterr().out
    assert "v1.0.0" in _installed_text(a) and a.installer.versions() == {"panel": "1.0.0"}
    # nothing to roll back to any more: a clear refusal, not a crash
    assert cli_main(["fleet", "rollback", "--to", f"device:{device}", "--kind", "panel", "--broker", url]) == 1
    assert "409" in capsys.readouterr().out
    assert cli_main(["fleet", "config", "set", "volume=0.25", "lang=en", "--to", f"group:{fleet.group}",
                     "--broker", url]) == 0
    assert _wait(lambda: "volume: 0.25" in (a.data_dir / "settings.yaml").read_text()
                 if (a.data_dir / "settings.yaml").exists() else False)
    assert cli_main(["fleet", "config", "set", "volume=loud", "--to", f"device:{device}", "--broker", url]) == 0
    with FleetAdmin(broker) as admin:
        assert _wait(lambda: "volume" in (admin.discover(expect=1)[device].reported.get("settings_error") or ""))
    assert "volume: 0.25" in (a.data_dir / "settings.yaml").read_text()     # the old settings stay


class _RangeHandler(__import__("http.server").server.BaseHTTPRequestHandler):
    """Serves one file with Range support, and can drop the connection after some requests."""
    body = b""
    served = 0
    fail_after = None

    def do_GET(self):
        cls = type(self)
        cls.served += 1
        if cls.fail_after is not None and cls.served > cls.fail_after:
            self.send_error(503, "server going away")
            return
        first, last = (int(x) for x in self.headers["Range"].removeprefix("bytes=").split("-"))
        part = cls.body[first:last + 1]
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {first}-{last}/{len(cls.body)}")
        self.send_header("Content-Length", str(len(part)))
        self.end_headers()
        self.wfile.write(part)

    def log_message(self, *args):
        pass


def test_an_offer_with_a_url_is_fetched_with_range_requests_and_mqtt_finishes_the_rest(broker, fleet, tmp_path):
    import http.server
    import os
    import threading
    a = fleet.agent("kiosk")
    device = a.core.id.device_id
    textures = os.urandom(1 << 20)
    bundle = fleet.bundle("1.0.0", extra={"textures.bin": textures})
    handler = type("H", (_RangeHandler,), {"body": bundle.read_bytes(), "served": 0, "fail_after": 3})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    puts = []
    real_put = a.store.put
    a.store.put = lambda b, i, d: (puts.append(i), real_put(b, i, d))
    try:
        with FleetAdmin(broker) as admin:
            admin.discover(expect=1, timeout=10)
            offer = admin.publish_bundle(bundle, chunk_size=128 * 1024,
                                         url=f"http://127.0.0.1:{server.server_port}/cdn.bundle")
            admin.update_desired(("device", device), bundles={"panel": offer})
            rec = admin.wait_for_installs([device], offer.bundle_id, 60)[device]
            assert rec["state"] == "committed", rec
            assert any(e.get("event") == "url-failed" and "503" in e.get("error", "") for e in admin.events)
    finally:
        server.shutdown()
    assert puts[:3] == [0, 1, 2]                        # the first three over HTTP, in order
    assert sorted(puts) == list(range(len(offer.chunks)))   # then the rest over MQTT, none twice
    assert (a.data_dir / "current/panel/textures.bin").read_bytes() == textures
