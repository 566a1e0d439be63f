"""Offline first: the broker goes away and comes back; the agent restarts; nothing is lost or redone."""

from __future__ import annotations

import time

from fleet.admin import FleetAdmin
from fleet.agent import MqttAgent
from fleet.agent_core import Identity
from fleet.broker import BrokerConfig
from fleet.device_control import StandaloneControl
from tests.fleet_fixtures import RecordingHealthCheck, keys, panel_bundle
from tests.mosquitto import free_port, mosquitto


def _wait(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.1)
    return predicate()


def test_broker_outage_buffers_telemetry_and_reconnects_by_itself(tmp_path):
    key, pub, trusted = keys(tmp_path)
    port = free_port()
    cfg = BrokerConfig.from_args(f"mqtt://127.0.0.1:{port}")
    health = RecordingHealthCheck()
    with mosquitto(tmp_path, port, persistence=True):
        agent = MqttAgent(Identity("kiosk-1", ("g",)), cfg, tmp_path / "data", trusted,
                          StandaloneControl(tmp_path / "data"), health, telemetry_interval_s=0.5)
        agent.start()
        with FleetAdmin(cfg) as admin:
            admin.discover(expect=1)
            offer = admin.publish_bundle(panel_bundle(tmp_path, key, "1.0.0"))
            admin.update_desired(("group", "g"), bundles={"panel": offer})
            assert admin.wait_for_installs(["kiosk-1"], offer.bundle_id, 30)["kiosk-1"]["state"] == "committed"
    # broker gone: the agent keeps going, keeps a bounded backlog of telemetry
    assert _wait(lambda: not agent.core.online)
    # records pile up (one per clock tick of 1 s at most, fleet/agent.py _clock_loop): wait for three
    # rather than sleep 3 s, which a loaded machine's slower ticks can miss
    assert _wait(lambda: len(agent.core._telemetry) >= 3)
    with mosquitto(tmp_path, port, persistence=True):
        with FleetAdmin(cfg) as admin:
            assert _wait(lambda: agent.core.online, 90)         # reconnect back-off is at most 60 s
            assert _wait(lambda: not agent.core._telemetry, 10)      # the backlog went out on reconnect
            assert agent.core.session >= 2
            assert admin.discover(expect=1)["kiosk-1"].online
        agent.stop()
        assert len(health.calls) == 1
        # the agent restarts (power cut, update): the same desired state is not installed again
        again = MqttAgent(Identity("kiosk-1", ("g",)), cfg, tmp_path / "data", trusted,
                          StandaloneControl(tmp_path / "data"), health)
        again.start()
        with FleetAdmin(cfg) as admin:
            # the broker keeps the first agent's retained report: wait for the restarted agent's own
            # (its session, 3), sent once it is connected
            admin.discover(expect=1)
            assert admin.wait_until(lambda: "kiosk-1" in admin.devices
                                    and admin.devices["kiosk-1"].reported.get("session") == 3, 30)
            assert admin.devices["kiosk-1"].reported["installs"]["panel"]["state"] == "committed"
        time.sleep(1)                           # time for a (wrong) second install to start, if it would
        again.stop()
        assert len(health.calls) == 1 and again.core.session == 3
