"""`edge-avatar fleet ...` end to end against a real Mosquitto and simulated kiosks."""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from fleet.admin import FleetAdmin
from fleet.broker import BrokerConfig
from fleet.simulator import FleetSimulator
from runtime.cli.main import main as cli_main
from tests.fleet_brokers import BROKERS, fleet_broker
from tests.fleet_fixtures import keys, panel_bundle


@pytest.fixture(scope="module", params=BROKERS)
def broker_url(request, tmp_path_factory):
    with fleet_broker(request.param, tmp_path_factory.mktemp(request.param)) as url:
        yield url


@pytest.fixture
def simulated(broker_url):
    running = []

    def start(count, failing=()):
        prefix = f"s{uuid.uuid4().hex[:5]}"
        sim = FleetSimulator(BrokerConfig.from_args(broker_url), count, group=prefix, prefix=prefix,
                             failing={f"{prefix}-{i:04d}" for i in failing})
        sim.connect()
        stop = threading.Event()
        thread = threading.Thread(target=lambda: [sim.step(0.02) for _ in iter(stop.is_set, True)], daemon=True)
        thread.start()
        running.append((sim, stop, thread))
        return sim, prefix
    yield start
    for sim, stop, thread in running:
        stop.set()
        thread.join(5)
        sim.close()


def _installed(sim):
    return {k.core.id.device_id: k.state.versions().get("panel") for k in sim.kiosks}


def test_status_json_lists_every_kiosk_with_versions(broker_url, simulated, capsys):
    sim, group = simulated(5)
    assert cli_main(["fleet", "status", "--broker", broker_url, "--json", "--group", group]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(r["device_id"] for r in rows) == sorted(k.core.id.device_id for k in sim.kiosks)
    assert all(r["online"] is True and r["versions"] == {} for r in rows)
    assert cli_main(["fleet", "status", "--broker", broker_url, "--group", group]) == 0
    assert "5 kiosks, 5 online" in capsys.readouterr().out


def test_rollout_in_waves_completes_and_updates_the_group(broker_url, simulated, tmp_path, capsys):
    sim, group = simulated(20)
    key, _, _ = keys(tmp_path)
    bundle = panel_bundle(tmp_path, key, "2.0.0")
    assert cli_main(["fleet", "rollout", str(bundle), "--group", group, "--waves", "10,50,100%",
                     "--abort-at", "5%", "--broker", broker_url]) == 0
    out = capsys.readouterr().out
    assert "3 waves: 2, 8, 10" in out and "rollout complete" in out
    assert set(_installed(sim).values()) == {"2.0.0"}
    with FleetAdmin(BrokerConfig.from_args(broker_url)) as admin:
        desired = json.loads(admin.read_retained(f"edge-avatar/groups/{group}/desired"))
    assert desired["bundles"]["panel"]["version"] == "2.0.0"


def test_rollout_aborts_when_failures_pass_the_threshold_and_leaves_the_rest_alone(
        broker_url, simulated, tmp_path, capsys):
    sim, group = simulated(20, failing=range(20))            # every kiosk fails its self-test
    key, _, _ = keys(tmp_path)
    bundle = panel_bundle(tmp_path, key, "3.0.0")
    assert cli_main(["fleet", "rollout", str(bundle), "--group", group, "--waves", "10,50,100%",
                     "--abort-at", "5%", "--broker", broker_url]) == 3
    out = capsys.readouterr().out
    assert "ABORTED after wave 1" in out and "18 kiosks left untouched" in out
    assert "health-check-failed" in out
    tried = [k for k in sim.kiosks if k.state.refused]
    assert len(tried) == 2 and set(_installed(sim).values()) == {None}


def test_push_to_a_device_and_wait(broker_url, simulated, tmp_path, capsys):
    sim, group = simulated(3)
    key, _, _ = keys(tmp_path)
    target = sim.kiosks[1].core.id.device_id
    bundle = panel_bundle(tmp_path, key, "1.0.0")
    assert cli_main(["fleet", "push", str(bundle), "--to", f"device:{target}", "--wait",
                     "--broker", broker_url]) == 0
    assert "1/1 committed" in capsys.readouterr().out
    assert _installed(sim) == {k.core.id.device_id: ("1.0.0" if k.core.id.device_id == target else None)
                               for k in sim.kiosks}
    assert cli_main(["fleet", "cmd", "status", "--to", f"group:{group}", "--broker", broker_url]) == 0
    assert capsys.readouterr().out.count(": 200 simulated status") == 0   # status is answered by the core
    assert cli_main(["fleet", "push", str(bundle), "--to", "shelf:1", "--broker", broker_url]) == 2


def test_push_wait_ends_with_a_verdict_on_every_kiosk(broker_url, simulated, tmp_path, capsys):
    sim, group = simulated(3, failing=[0])
    key, _, _ = keys(tmp_path)
    bundle = panel_bundle(tmp_path, key, "4.0.0")
    assert cli_main(["fleet", "push", str(bundle), "--to", f"group:{group}", "--wait", "--broker", broker_url,
                     "--progress-deadline", "60", "--offline-deadline", "60"]) == 1
    out = capsys.readouterr().out
    assert f"{group}-0000: refused: health-check-failed (simulated self-test failure)" in out
    assert "2/3 committed; 1 refused" in out
    assert cli_main(["fleet", "push", str(bundle), "--to", f"group:{group}", "--wait", "--broker", broker_url,
                     "--progress-deadline", "0"]) == 2          # a deadline that is no deadline: refused, said why
