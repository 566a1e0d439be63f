"""Bundles over HTTP at fleet scale (issue 29): the simulated fleet fetches the offer's `url` with Range
requests from a static server, each chunk's hash checked; the retained MQTT chunks stay the fallback
and a fetch that fails falls back to them. Real Mosquitto, a real `fleet simulate` process."""

from __future__ import annotations

import dataclasses
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
from fleet.bundle_verifier import BundleVerifier
from fleet.chunk_store import FileChunkStore
from fleet.http_fetch import fetch_ranges
from fleet.offers import make_offer
from fleet.push_verdict import Deadlines, Verdict
from tests.fleet_fixtures import NOW, keys, panel_bundle
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


def test_a_body_cut_off_mid_chunk_is_resumed_from_the_byte_where_it_stopped_and_the_bundle_verifies(tmp_path):
    """The server sends half of one chunk's body and closes the connection (a dropped link, a CDN
    edge restarting): the fetch asks for the rest of that chunk from its first missing byte, keeps
    every chunk, and the joined bundle passes the same signature checks as any other."""
    key, _, trusted = keys(tmp_path)
    bundle = panel_bundle(tmp_path, key, "2.0.0", extra={"big.bin": os.urandom(300_000)})
    offer, _ = make_offer(bundle, chunk_size=64 * 1024, url=None)
    cut_chunk, asked, cut = 2, [], threading.Event()
    cut_at = cut_chunk * offer.chunk_size + 10_000

    class CuttingHandler(handler_for(bundle)):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            asked.append(self.headers["Range"])
            if self.headers["Range"].startswith(f"bytes={cut_chunk * offer.chunk_size}-") and not cut.is_set():
                cut.set()                                # only the first time
                first = cut_chunk * offer.chunk_size
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {first}-{first + offer.chunk_size - 1}/{offer.size}")
                self.send_header("Content-Length", str(offer.chunk_size))
                self.end_headers()
                self.wfile.write(bundle.read_bytes()[first:cut_at])
                self.wfile.flush()
                self.close_connection = True         # the rest of the body never comes
                return
            super().do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), CuttingHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        offer = dataclasses.replace(offer, url=f"http://127.0.0.1:{server.server_address[1]}/{bundle.name}")
        store = FileChunkStore(tmp_path / "chunks")
        assert fetch_ranges(offer, tuple(range(len(offer.chunks))), store, timeout_s=60) is None
    finally:
        server.shutdown()
        server.server_close()
    last_of_cut = min(offer.size, (cut_chunk + 1) * offer.chunk_size) - 1
    assert asked[cut_chunk:cut_chunk + 2] == [f"bytes={cut_chunk * offer.chunk_size}-{last_of_cut}",
                                              f"bytes={cut_at}-{last_of_cut}"]       # from where it stopped
    assert len(asked) == len(offer.chunks) + 1                                       # nothing else asked twice
    joined = store.assemble(offer.bundle_id, len(offer.chunks))
    assert joined.read_bytes() == bundle.read_bytes()
    manifest = BundleVerifier(trusted).verify(joined, NOW)
    assert (manifest.kind, manifest.version) == ("panel", "2.0.0")
