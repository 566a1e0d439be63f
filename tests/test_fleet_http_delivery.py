"""Bundles over HTTP at fleet scale (issue 29): the simulated fleet fetches the offer's `url` with Range
requests from a static server, each chunk's hash checked; the retained MQTT chunks stay the fallback
and a fetch that fails falls back to them. Real Mosquitto, a real `fleet simulate` process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from http.server import ThreadingHTTPServer

import pytest

from bench.fleet_http import handler_for
from fleet.admin import FleetAdmin
from fleet.broker import BrokerConfig
from fleet.push_verdict import Deadlines, Verdict
from tests.fleet_fixtures import keys, panel_bundle
from tests.mosquitto import mosquitto

DEVICES = 12


@pytest.mark.parametrize("server_up", [True, False])
def test_the_fleet_fetches_a_bundle_over_http_and_falls_back_to_mqtt_chunks(tmp_path, server_up):
    key, pub, _ = keys(tmp_path)
    bundle = panel_bundle(tmp_path, key, "1.0.0", extra={"big.bin": os.urandom(2 << 20)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(bundle))
    url = f"http://127.0.0.1:{server.server_address[1]}/{bundle.name}"
    if server_up:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    else:
        server.server_close()                          # nothing listens there: every fetch fails
    with mosquitto(tmp_path) as broker_url:
        sim = subprocess.Popen([sys.executable, "-m", "runtime", "fleet", "simulate", "--devices", str(DEVICES),
                                "--group", "g", "--broker", broker_url, "--trust-key", str(pub),
                                "--http-workers", "4", "--duration", "600"], stdout=subprocess.PIPE, text=True)
        try:
            assert "online" in sim.stdout.readline()
            with FleetAdmin(BrokerConfig.from_args(broker_url)) as admin:
                admin.discover(expect=DEVICES, timeout=60)
                members = admin.group_members("g")
                offer = admin.publish_bundle(bundle, url=url)
                admin.update_desired(("group", "g"), bundles={"panel": offer})
                verdicts = admin.wait_for_verdicts(members, offer.bundle_id, 240, Deadlines(120, 120))
                events = [e for e in admin.events if e.get("event") == "url-failed"]
        finally:
            sim.send_signal(signal.SIGTERM)
            out, _ = sim.communicate(timeout=60)
            if server_up:
                server.shutdown()
    assert {d: v.describe() for d, v in verdicts.items() if v.verdict is not Verdict.COMMITTED} == {}
    stats = json.loads(out.strip().splitlines()[-1])["simulator"]
    if server_up:
        assert stats["http_fetches"] == {"done": DEVICES} and events == []
    else:
        assert stats["http_fetches"] == {"failed": DEVICES} and len(events) == DEVICES   # each said why
