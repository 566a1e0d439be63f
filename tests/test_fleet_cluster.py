"""The fleet on a real RabbitMQ cluster (issue 29, "past one broker"): three nodes on loopback ports
(Debian's `rabbitmq-server`, one Erlang cookie, the MQTT plugin), a real kiosk agent and a simulated
fleet spread over them, the admin's live view on the first. RabbitMQ keeps retained messages per
node, so the admin writes desired state and chunks through every node; one node is killed
mid-download and every kiosk on it moves to another node, resumes, and commits. Three, not two:
RabbitMQ's MQTT plugin tracks client ids in a Raft group, and its guide says the remaining nodes
accept no new MQTT connection without a majority (a first two-node version of this test failed once
a node was killed). Skipped when rabbitmq-server is missing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
import zlib
from contextlib import ExitStack

import paho.mqtt.client as mqtt
import pytest

from fleet import topics as T
from fleet.admin import FleetAdmin, make_offer
from fleet.agent import MqttAgent
from fleet.agent_core import Identity
from fleet.broker import BrokerConfig, NodeRotation
from fleet.device_control import StandaloneControl
from fleet.node_links import newest
from fleet.push_verdict import Deadlines, Verdict
from runtime.composition.settings_file import check_settings_file
from tests import rabbitmq as rmq
from tests.fleet_fixtures import RecordingHealthCheck, install_progress, keys, panel_bundle, poll

pytestmark = pytest.mark.skipif(not rmq.available(),
                                reason="rabbitmq-server is not installed (scripts/setup.sh --test installs it)")

SIMULATED = 6
KEEPALIVE_S = 5


def _retained_on(port: int, topic: str, wait_s: float = 20.0) -> bytes | None:
    """What one node replays for an exact topic (None: nothing), a barrier message marking the end."""
    got: dict[str, bytes] = {}
    barrier = f"test/barrier-{uuid.uuid4().hex[:8]}"
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    c.on_message = lambda client, userdata, msg: got.__setitem__(msg.topic, msg.payload)
    c.connect("127.0.0.1", port, 30)
    c.loop_start()
    try:
        c.subscribe([(topic, 1), (barrier, 1)])
        poll(lambda: c.is_connected(), wait_s, "connected")
        deadline = time.monotonic() + wait_s
        while barrier not in got and time.monotonic() < deadline:
            c.publish(barrier, b"-", qos=1).wait_for_publish(wait_s)
            time.sleep(0.2)
        return got.get(topic)
    finally:
        c.disconnect()
        c.loop_stop()


def test_newest_copy_over_the_nodes_is_the_latest_session_or_revision():
    old, new = json.dumps({"session": 3, "online": True}).encode(), json.dumps({"session": 4}).encode()
    assert newest([old, None, new]) == new and newest([None, b""]) is None
    assert newest([json.dumps({"rev": 2}).encode(), json.dumps({"rev": 7}).encode()]) == json.dumps({"rev": 7}).encode()
    assert newest([b"\x00raw chunk", b"\x00raw chunk"]) == b"\x00raw chunk"


def test_a_client_starts_on_its_node_and_moves_to_the_next_after_a_loss():
    cfg = BrokerConfig.from_args("mqtt://10.0.0.1:1883,mqtt://10.0.0.2,mqtt://10.0.0.3:1885")
    assert cfg.addresses == (("10.0.0.1", 1883), ("10.0.0.2", 1883), ("10.0.0.3", 1885))
    rotation = NodeRotation(cfg.addresses, start=4)
    assert [rotation.next_address() for _ in range(4)] == [("10.0.0.2", 1883), ("10.0.0.3", 1885),
                                                            ("10.0.0.1", 1883), ("10.0.0.2", 1883)]
    assert rotation.moves == 3
    with pytest.raises(Exception, match="same scheme"):
        BrokerConfig.from_args("mqtt://a:1,mqtts://b:2")
    with pytest.raises(Exception, match="mqtt://host:port"):
        BrokerConfig.from_args("mqtt://a:1,,")


def test_a_node_killed_mid_push_its_kiosks_move_to_another_node_resume_and_commit(tmp_path):
    key, pub, trusted = keys(tmp_path)
    bundle = panel_bundle(tmp_path, key, "1.0.0", extra={"big.bin": os.urandom(2 << 20)})
    offer, chunks = make_offer(bundle)
    half = len(chunks) // 2
    with ExitStack() as stack:
        nodes = stack.enter_context(rmq.rabbitmq_cluster(tmp_path / "cluster", size=3, timeout=150))
        first, _, second = nodes        # `second`: the node that will be killed
        # why the admin writes through every node: a retained message stays on the node it came through
        probe = f"edge-avatar/test/{uuid.uuid4().hex[:8]}"
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        c.connect("127.0.0.1", first.mqtt_port, 30)
        c.loop_start()
        c.publish(probe, b"kept", qos=1, retain=True).wait_for_publish(30)
        c.disconnect()
        c.loop_stop()
        assert _retained_on(first.mqtt_port, probe) == b"kept"
        assert _retained_on(second.mqtt_port, probe) is None

        urls = ",".join(n.url for n in nodes)
        cfg = BrokerConfig.from_args(urls)
        admin = stack.enter_context(FleetAdmin(cfg))        # live view through the first node
        # a real kiosk agent whose stable start is the node that will be killed
        device = next(d for d in (f"kiosk-{i}" for i in range(100)) if zlib.crc32(d.encode()) % 3 == 2)
        agent = MqttAgent(Identity(device, ("g",), "Mall A"), cfg, tmp_path / device, trusted,
                          StandaloneControl(tmp_path / device, check_settings=check_settings_file),
                          RecordingHealthCheck(), keepalive_s=KEEPALIVE_S)
        agent.start()
        stack.callback(agent.stop)
        sim = subprocess.Popen([sys.executable, "-m", "runtime", "fleet", "simulate", "--devices", str(SIMULATED),
                                "--group", "g", "--broker", urls, "--trust-key", str(pub),
                                "--keepalive", str(KEEPALIVE_S), "--chunk-retry", "2", "--duration", "600"],
                               stdout=subprocess.PIPE, text=True)
        stack.callback(lambda: sim.poll() is None and sim.kill())
        assert "online" in sim.stdout.readline()
        admin.discover(expect=SIMULATED + 1, timeout=90)
        members = admin.group_members("g")
        assert len(members) == SIMULATED + 1 and device in members
        assert agent.nodes.current == f"127.0.0.1:{second.mqtt_port}"

        # half the bundle, and the offer, written through both nodes: kiosks on either get that far
        for i in range(half):
            assert admin._settle(admin._publish_retained(T.chunk(offer.bundle_id, i), chunks[i]), 30)
        admin.update_desired(("group", "g"), bundles={"panel": offer})
        poll(lambda: all(install_progress(admin, d, offer.bundle_id) > 0 for d in members), 90,
             "every kiosk downloading, on both nodes")
        second.kill()                                        # the node dies, its retained store with it
        for i in range(half, len(chunks)):
            assert admin._settle(admin._publish_retained(T.chunk(offer.bundle_id, i), chunks[i]), 30)

        verdicts = admin.wait_for_verdicts(members, offer.bundle_id, 150, Deadlines(progress_s=60, offline_s=60))
        assert {d: v.describe() for d, v in verdicts.items() if v.verdict is not Verdict.COMMITTED} == {}
        assert agent.nodes.current != f"127.0.0.1:{second.mqtt_port}" and agent.nodes.moves >= 1
        assert (tmp_path / device / "current" / "panel").exists()
        assert admin.nodes.stats()["missed_writes"] >= 1      # written while the node was dead (again on its return)
        sim.send_signal(signal.SIGTERM)
        out, _ = sim.communicate(timeout=60)
    stats = json.loads(out.strip().splitlines()[-1])["simulator"]
    # the simulated kiosks started a third on each node; those on the killed one moved and resumed
    assert f"127.0.0.1:{second.mqtt_port}" not in stats["online_by_node"], stats
    assert sum(stats["online_by_node"].values()) == SIMULATED, stats
    assert stats["node_moves"] >= SIMULATED // 3 and stats["illegal_link_moves"] == 0, stats
