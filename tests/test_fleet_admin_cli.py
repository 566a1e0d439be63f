"""`edge-avatar fleet ...` end to end against a real Mosquitto and simulated kiosks."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from fleet.admin import FleetAdmin
from fleet.broker import BrokerConfig
from fleet.simulator import FleetSimulator
from runtime.cli.main import main as cli_main
from tests.fleet_brokers import BROKERS, fleet_broker
from tests.fleet_fixtures import keys, panel_bundle
from tests.mosquitto import free_port


@pytest.fixture(scope="module", params=BROKERS)
def broker_url(request, tmp_path_factory):
    with fleet_broker(request.param, tmp_path_factory.mktemp(request.param)) as url:
        yield url


@pytest.fixture
def simulated(broker_url):
    running = []

    def start(count, failing=(), **kw):
        prefix = f"s{uuid.uuid4().hex[:5]}"
        sim = FleetSimulator(BrokerConfig.from_args(broker_url), count, group=prefix, prefix=prefix,
                             failing={f"{prefix}-{i:04d}" for i in failing}, **kw)
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
    assert capsys.readouterr().out.startswith("5 kiosks: 5 online, 0 offline\n")



def test_status_prints_a_summary_and_pages_through_the_kiosks(broker_url, simulated, capsys):
    """30 kiosks at 12 rows a page: the counts of all, then rows 1-12 and the way to the next page;
    --page 3 the last 6; --all every row; --only a condition none is in; a page that is not there."""
    sim, group = simulated(30)
    ids = sorted(k.core.id.device_id for k in sim.kiosks)
    base = ["fleet", "status", "--broker", broker_url, "--group", group, "--wait", "10", "--limit", "12"]

    def shown(*extra) -> tuple[str, list[str]]:
        assert cli_main([*base, *extra]) == 0
        out = capsys.readouterr().out
        return out, [d for d in ids if d in out]
    out, rows = shown()
    assert out.splitlines()[0] == "30 kiosks: 30 online, 0 offline" and rows == ids[:12]
    assert out.rstrip().splitlines()[-1] == "rows 1-12 of 30 kiosks, page 1 of 3; --page 2 for the next, --all for every row"
    out, rows = shown("--page", "3")
    assert rows == ids[24:] and "rows 25-30 of 30 kiosks, page 3 of 3; --all for every row" in out
    out, rows = shown("--all")
    assert rows == ids and "rows" not in out
    out, rows = shown("--only", "offline")
    assert rows == [] and out.splitlines() == ["30 kiosks: 30 online, 0 offline", "no kiosks (offline)"]
    assert cli_main([*base, "--page", "4"]) == 2
    assert "--page 4: there are 3 pages of 12 rows (30 kiosks)" in capsys.readouterr().err

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


def test_metrics_serves_the_fleet_as_prometheus_text(broker_url, simulated, tmp_path):
    """`fleet metrics` (a real process) serves every kiosk's presence and telemetry on /metrics."""
    sim, group = simulated(3, telemetry_interval_s=1.0)     # telemetry is not retained: it must keep coming
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "runtime", "fleet", "metrics", "--listen", f"127.0.0.1:{port}",
                             "--announce-every", "1", "--broker", broker_url], stdout=subprocess.PIPE, text=True)
    try:
        assert "serving" in proc.stdout.readline()
        devices = [k.core.id.device_id for k in sim.kiosks]

        def scrape() -> str:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
                return r.read().decode()
        deadline = time.monotonic() + 60
        while not all(f'edge_avatar_device_fps{{device="{d}"}} 60' in (text := scrape()) for d in devices):
            assert time.monotonic() < deadline, text
            time.sleep(0.2)
        assert all(f'edge_avatar_device_online{{device="{d}",site="site-0{i}"}} 1' in text
                   for i, d in enumerate(devices))
        assert all(f'edge_avatar_device_barge_ins_total{{device="{d}"}} 0' in text for d in devices)
        assert "# TYPE edge_avatar_device_answers_total counter" in text
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
    finally:
        proc.terminate()
        assert proc.wait(30) == 0

