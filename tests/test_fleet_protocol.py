"""docs/fleet-protocol.md is the contract: drive a real agent with only mosquitto_pub / mosquitto_sub."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import subprocess
import threading
import time

import pytest

from fleet.agent import MqttAgent
from fleet.agent_core import Identity
from fleet.broker import BrokerConfig
from fleet.device_control import StandaloneControl
from tests.fleet_fixtures import RecordingHealthCheck, keys, panel_bundle
from tests.mosquitto import mosquitto

pytestmark = pytest.mark.skipif(not (shutil.which("mosquitto_pub") and shutil.which("stdbuf")),
                                reason="mosquitto-clients (and coreutils stdbuf) not installed")


class Clients:
    def __init__(self, url: str):
        cfg = BrokerConfig.from_args(url)
        self.base = ["-h", cfg.host, "-p", str(cfg.port)]

    def pub(self, topic: str, message: str | None = None, file=None, retain=False, *extra):
        cmd = ["mosquitto_pub", *self.base, "-q", "1", "-t", topic, *extra]
        cmd += ["-f", str(file)] if file else ["-m", message]
        subprocess.run(cmd + (["-r"] if retain else []), check=True, timeout=10)

    def sub(self, topic: str, count: int = 1, wait: int = 15, *extra) -> "_Sub":
        """A mosquitto_sub, returned once the broker has acknowledged its subscription: what is
        published from then on reaches it (a fixed sleep lost the race on a loaded machine)."""
        return _Sub(["stdbuf", "-oL", "mosquitto_sub", *self.base, "-q", "1", "-t", topic, "-C", str(count),
                     "-W", str(wait), "-d", *extra])

    def sub_json(self, proc) -> list[dict]:
        out, _ = proc.communicate(timeout=30)
        return [json.loads(line) for line in out.splitlines() if line.strip()]


class _Sub:
    """mosquitto_sub -d: its debug lines ("Client ...", "Subscribed (mid: ...") tell when the SUBACK
    came and are left out of what `communicate` returns (the messages, as without -d). Line-buffered
    (stdbuf): with -V mqttv5 it does not flush its debug lines to a pipe until it exits."""

    def __init__(self, cmd: list[str]):
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.subscribed = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self.subscribed.wait(30):
            self.proc.kill()
            raise AssertionError(f"{' '.join(cmd)}: no SUBACK within 30 s")

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("Subscribed (mid"):
                self.subscribed.set()
            elif not line.startswith("Client "):
                self.lines.append(line)

    def communicate(self, timeout: float) -> tuple[str, None]:
        self.proc.wait(timeout=timeout)
        self._reader.join(timeout)
        return "".join(self.lines), None


@contextlib.contextmanager
def running_agent(tmp_path, url: str, trusted):
    """The device agent of kiosk-7 (group lobby) on the test's broker, stopped cleanly after."""
    agent = MqttAgent(Identity("kiosk-7", ("lobby",), "Museum"), BrokerConfig.from_args(url),
                      tmp_path / "data", trusted, StandaloneControl(tmp_path / "data"), RecordingHealthCheck())
    agent.start()
    try:
        yield agent
    finally:
        agent.stop()


def test_the_documented_topics_drive_a_real_agent(tmp_path):
    key, pub, trusted = keys(tmp_path)
    with mosquitto(tmp_path) as url:
        cli = Clients(url)
        with running_agent(tmp_path, url, trusted) as agent:
            # presence: the retained birth
            [status] = cli.sub_json(cli.sub("edge-avatar/devices/kiosk-7/status"))
            assert status["online"] is True and status["session"] == 1 and status["groups"] == ["lobby"]
            # announce: any client may ask; the device answers with status and reported
            watch = cli.sub("edge-avatar/devices/+/reported", 2)     # the retained one + the announced one
            cli.pub("edge-avatar/fleet/announce", "{}")
            assert cli.sub_json(watch)[-1]["device_id"] == "kiosk-7"
            # a command with MQTT 5 response topic + correlation data
            reply = cli.sub("edge-avatar/replies/ops/+", 1, 15, "-V", "mqttv5", "-F", "%t %p")
            cli.pub("edge-avatar/devices/kiosk-7/cmd", json.dumps({"name": "status"}), None, False,
                    "-V", "mqttv5", "-D", "publish", "response-topic", "edge-avatar/replies/ops",
                    "-D", "publish", "correlation-data", "req-1")
            out, _ = reply.communicate(timeout=30)
            topic, body = out.split(" ", 1)
            assert topic == "edge-avatar/replies/ops/kiosk-7"
            assert json.loads(body)["code"] == 200 and json.loads(body)["correlation"] == "req-1"
            # the MQTT 3.1.1 form: reply_to and correlation in the payload
            reply = cli.sub("edge-avatar/replies/ops311/+", 1)
            cli.pub("edge-avatar/devices/kiosk-7/cmd", json.dumps(
                {"name": "dance", "reply_to": "edge-avatar/replies/ops311", "correlation": "r2"}))
            [answer] = cli.sub_json(reply)
            assert (answer["code"], answer["correlation"]) == (404, "r2")
            # a bundle: retained chunks, then the offer in the group's desired state
            bundle = panel_bundle(tmp_path, key, "1.0.0")
            data = bundle.read_bytes()
            size = 4096
            chunks = [data[i:i + size] for i in range(0, len(data), size)]
            bundle_id = hashlib.sha256(data).hexdigest()
            for n, chunk in enumerate(chunks):
                (tmp_path / f"c{n}").write_bytes(chunk)
                cli.pub(f"edge-avatar/bundles/{bundle_id}/{n}", None, tmp_path / f"c{n}", True)
            offer = {"bundle_id": bundle_id, "kind": "panel", "version": "1.0.0", "size": len(data),
                     "chunk_size": size, "chunks": [hashlib.sha256(c).hexdigest() for c in chunks]}
            events = cli.sub("edge-avatar/devices/kiosk-7/events", 1, 30)
            cli.pub("edge-avatar/groups/lobby/desired", json.dumps({"rev": 1, "bundles": {"panel": offer},
                                                                     "settings": {"volume": 0.6}}), None, True)
            [event] = cli.sub_json(events)
            assert (event["event"], event["version"]) == ("installed", "1.0.0")
            # the report comes right after the event (fleet/install_pipeline.py install_finished): the
            # retained copy read at once may still be the one before, so read it until it has moved on
            deadline = time.monotonic() + 15
            while True:
                [reported] = cli.sub_json(cli.sub("edge-avatar/devices/kiosk-7/reported"))
                if reported["installs"].get("panel", {}).get("state") == "committed" or time.monotonic() > deadline:
                    break
            assert reported["versions"] == {"panel": "1.0.0"}
            assert reported["installs"]["panel"]["state"] == "committed"
            assert reported["settings"] == {"volume": 0.6}
        # a clean stop leaves the retained status offline
        [status] = Clients(url).sub_json(Clients(url).sub("edge-avatar/devices/kiosk-7/status"))
        assert status["online"] is False and status["session"] == 1


def test_a_staff_alert_is_read_and_acknowledged_with_the_stock_clients(tmp_path):
    _, _, trusted = keys(tmp_path)
    with mosquitto(tmp_path) as url:
        cli = Clients(url)
        with running_agent(tmp_path, url, trusted) as agent:
            cli.sub_json(cli.sub("edge-avatar/devices/kiosk-7/status"))           # online
            agent.raise_alert({"kind": "lost_child", "lang": "zh", "cue": "孩子不见了", "transcript": "我的孩子不见了",
                               "venue_time": "2026-11-30T10:13:20+08:00"})
            # reported.alerts names it; its exact topic replays the retained alert on every broker
            deadline, alerts = time.monotonic() + 15, []
            while not alerts and time.monotonic() < deadline:
                [reported] = cli.sub_json(cli.sub("edge-avatar/devices/kiosk-7/reported"))
                alerts = reported["alerts"]
            [alert_id] = alerts
            topic = f"edge-avatar/devices/kiosk-7/alerts/{alert_id}"
            [alert] = cli.sub_json(cli.sub(topic))
            assert alert["id"] == alert_id and alert["kind"] == "lost_child" and alert["transcript"] == "我的孩子不见了"
            # acknowledged: an empty retained message on its topic
            subprocess.run(["mosquitto_pub", *cli.base, "-q", "1", "-t", topic, "-r", "-n"], check=True, timeout=10)
            deadline = time.monotonic() + 10
            while agent.core.alerts.pending and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not agent.core.alerts.pending
            watch = cli.sub("edge-avatar/devices/+/reported", 2)
            cli.pub("edge-avatar/fleet/announce", "{}")
            assert cli.sub_json(watch)[-1]["alerts"] == []
