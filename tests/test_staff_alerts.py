"""Staff alerts over a real Mosquitto: the kiosk's `staff-alert` event goes through the embedded
agent to a retained message that a subscriber connecting later still gets; clearing it acknowledges
it; an alert raised while the broker is away (and the kiosk restarts) goes out when it is back; a
corrupt alert file is reported and the agent runs on."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from fleet import topics as T
from fleet.admin import FleetAdmin
from fleet.agent import MqttAgent
from fleet.agent_core import Identity
from fleet.alert_state import AlertState
from fleet.broker import BrokerConfig, make_client
from runtime.cli.main import main as cli_main
from runtime.composition.fleet_link import KioskControl
from runtime.ops.event_recorder import EventKind, EventRecorder
from tests.conftest import REPO, write_wav
from tests.fleet_fixtures import RecordingHealthCheck, keys
from tests.mosquitto import free_port, mosquitto

DEVICE = "kiosk-7"
# what Kiosk._safety_answered records
EVENT = {"kind": "emergency", "lang": "en", "cue": "fire", "transcript": "help there is a fire",
         "speech_start_ms": 2310, "venue_time": "2026-11-30T10:13:20+08:00"}


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.05)
    return predicate()


class Embedded:
    """What `edge-avatar run --fleet-broker` wires: the kiosk's event recorder, KioskControl, the agent."""

    def __init__(self, tmp_path: Path, url: str, trusted):
        self.data = tmp_path / "data"
        # the parts of a running Kiosk that KioskControl reads (no audio, no models)
        self.kiosk = SimpleNamespace(events=EventRecorder(), speech=SimpleNamespace(volume=1.0),
                                     run_state=SimpleNamespace(turns=[], greetings=[], barge_ins=[]),
                                     view=SimpleNamespace(frames_drawn=0),
                                     responder=SimpleNamespace(pack=SimpleNamespace(venue_id="lobby-pack")))
        self.control = KioskControl(self.kiosk, self.data)
        self.agent = MqttAgent(Identity(DEVICE, ("lobby",)), BrokerConfig.from_args(url), self.data, trusted,
                               self.control, RecordingHealthCheck())
        self.control.forward_staff_alerts(self.agent.raise_alert)
        self.agent.start()

    def states(self) -> list[AlertState | None]:
        return [self.agent.core.alerts.state(a.id) for a in self.agent.core.alerts.pending]

    def kept(self) -> list[dict]:
        path = self.data / "alerts.json"
        return json.loads(path.read_text())["alerts"] if path.exists() else []

    def stop(self) -> None:
        self.agent.stop()
        logging.getLogger().removeHandler(self.control.errors)


def late_retained(url: str, topic: str, timeout: float = 20.0) -> dict[str, dict]:
    """Connect a new subscriber (after the alert went out) until the broker replays a retained copy:
    topic -> payload of what it replayed (retain flag set), {} if it has nothing retained."""
    cfg = BrokerConfig.from_args(url)
    deadline = time.monotonic() + timeout
    while not (got := _replayed(cfg, topic)) and time.monotonic() < deadline:
        pass
    return got


def _replayed(cfg: BrokerConfig, topic: str) -> dict[str, dict]:
    got: dict[str, dict] = {}
    subscribed = threading.Event()
    client = make_client(cfg, f"late-{uuid.uuid4().hex[:6]}", v5=True)
    client.on_message = lambda c, u, m: got.update({m.topic: json.loads(m.payload)}) if m.retain else None
    client.on_subscribe = lambda *a: subscribed.set()
    client.on_connect = lambda c, u, f, reason, p: c.subscribe(topic, 1)
    client.connect(cfg.host, cfg.port)
    client.loop_start()
    subscribed.wait(5)
    time.sleep(0.5)                          # retained copies come right after the SUBACK
    client.disconnect()
    client.loop_stop()
    return got


@pytest.fixture
def embedded(tmp_path):
    made: list[Embedded] = []
    _, _, trusted = keys(tmp_path)

    def make(tmp_path: Path, url: str) -> Embedded:
        made.append(Embedded(tmp_path, url, trusted))
        return made[-1]
    yield make
    for e in made:
        e.stop()


def test_a_kiosk_alert_is_retained_for_a_late_subscriber_and_clearing_it_acknowledges_it(tmp_path, embedded, capsys):
    with mosquitto(tmp_path) as url:
        kiosk = embedded(tmp_path, url)
        assert _wait(lambda: kiosk.agent.core.online)
        kiosk.kiosk.events.record(EventKind.STAFF_ALERT, EVENT)           # as the safety layer does
        assert _wait(lambda: kiosk.states() == [AlertState.PUBLISHED])     # its copy came back from the broker
        [alert] = kiosk.agent.core.alerts.pending
        topic = T.alert(DEVICE, alert.id)
        got = late_retained(url, T.alert_wildcard())                       # connects only now
        assert list(got) == [topic]
        assert got[topic] == {"id": alert.id, "kind": "emergency", "lang": "en", "cue": "fire",
                              "transcript": "help there is a fire", "device": DEVICE,
                              "venue_time": EVENT["venue_time"], "raised_at": alert.raised_at}
        assert [a["id"] for a in kiosk.kept()] == [alert.id]

        capsys.readouterr()
        for scope in ([], ["--device", DEVICE]):                           # the fleet's, and one kiosk's
            assert cli_main(["fleet", "alerts", "--json", "--broker", url, *scope]) == 0
            assert [(a["device"], a["id"]) for a in json.loads(capsys.readouterr().out)] == [(DEVICE, alert.id)]
        assert cli_main(["fleet", "ack", DEVICE, alert.id, "--broker", url]) == 0
        assert f"acknowledged {alert.id}" in capsys.readouterr().out

        assert _wait(lambda: not kiosk.agent.core.alerts.pending)          # the agent saw the clear
        assert kiosk.agent.core.alerts.state(alert.id) == AlertState.ACKNOWLEDGED
        assert kiosk.kept() == []                                          # and its file no longer holds it
        assert late_retained(url, topic, timeout=0) == {}
        with FleetAdmin(BrokerConfig.from_args(url)) as admin:
            admin.discover(expect=1)
            # the kiosk's report without the alert follows the clear it saw: wait for it, not for one read
            assert _wait(lambda: admin.devices[DEVICE].reported.get("alerts") == []), admin.devices[DEVICE].reported
            assert admin.alerts() == []
        assert cli_main(["fleet", "ack", DEVICE, alert.id, "--broker", url]) == 1     # nothing left to clear


def test_an_alert_raised_while_the_broker_is_down_goes_out_when_it_is_back(tmp_path, embedded):
    port = free_port()
    url = f"mqtt://127.0.0.1:{port}"
    first = embedded(tmp_path, url)                                        # no broker yet
    first.kiosk.events.record(EventKind.STAFF_ALERT, EVENT)
    assert _wait(lambda: [a["state"] for a in first.kept()] == ["raised"])
    first.stop()                                                           # the kiosk restarts, broker still away
    again = embedded(tmp_path, url)
    [alert] = again.agent.core.alerts.pending                              # loaded from its file
    assert alert.transcript == EVENT["transcript"]
    topic = T.alert(DEVICE, alert.id)
    with mosquitto(tmp_path, port):
        assert _wait(lambda: again.agent.core.online, 60)                  # reconnect back-off starts at 1 s
        assert late_retained(url, topic)[topic]["id"] == alert.id
        assert _wait(lambda: again.states() == [AlertState.PUBLISHED])
        session = again.agent.core.session
    # the broker restarts without its retained store: the reconnect publishes the alert again
    assert _wait(lambda: not again.agent.core.online)
    with mosquitto(tmp_path, port):
        assert _wait(lambda: again.agent.core.online and again.agent.core.session > session, 60)
        assert late_retained(url, topic)[topic]["id"] == alert.id
    assert [a["id"] for a in again.kept()] == [alert.id]                  # still not acknowledged


def test_a_corrupt_alert_file_gives_a_clear_error_and_the_agent_runs_on(tmp_path, embedded, caplog):
    bad = tmp_path / "data" / "alerts.json"
    bad.parent.mkdir()
    bad.write_text('{"version": 1, "alerts": [{"id": ')                   # cut short by a power failure
    with mosquitto(tmp_path) as url:
        with caplog.at_level(logging.ERROR):
            kiosk = embedded(tmp_path, url)
        assert f"{bad}: expected the agent's JSON list of staff alerts" in caplog.text
        assert f"kept as {bad}.bad-1" in caplog.text
        assert kiosk.control.errors.count >= 1 and str(bad) in kiosk.control.errors.last   # in the telemetry
        assert (tmp_path / "data" / "alerts.json.bad-1").read_text() == '{"version": 1, "alerts": [{"id": '
        with FleetAdmin(BrokerConfig.from_args(url)) as admin:
            view = admin.discover(expect=1)[DEVICE]
            assert view.online and str(bad) in view.reported["alerts_error"]
        kiosk.kiosk.events.record(EventKind.STAFF_ALERT, EVENT)           # and alerts still go out
        assert _wait(lambda: kiosk.states() == [AlertState.PUBLISHED])
        [alert] = kiosk.agent.core.alerts.pending
        assert alert.id in str(late_retained(url, T.alert_wildcard(DEVICE)))
        assert [a["id"] for a in kiosk.kept()] == [alert.id]


def test_a_visitor_reporting_a_fire_reaches_the_fleet_broker_from_a_running_kiosk(tmp_path, speak):
    """The whole path: speech in, the safety layer's answer, its event, the embedded agent, the broker."""
    _, pub, _ = keys(tmp_path)
    audio, _ = speak(["Help! There is a fire in the shop!"], gap_s=6.0)
    wav = write_wav(tmp_path / "fire.wav", audio)
    data = tmp_path / "data"
    with mosquitto(tmp_path) as url:
        env = {**os.environ, "PYTHONPATH": str(REPO), "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
        run = subprocess.run(
            [sys.executable, "-m", "runtime", "run", "--input", str(wav), "--pace", "realtime", "--output", "null",
             "--display", "headless", "--asr", "pocketsphinx", "--data-dir", str(data), "--fleet-broker", url,
             "--device-id", DEVICE, "--trust-key", str(pub), "--report", str(tmp_path / "report.json")],
            env=env, capture_output=True, text=True, timeout=180, check=False)
        assert run.returncode == 0, run.stderr[-3000:]
        [event] = json.loads((tmp_path / "report.json").read_text())["staff_alerts"]
        [kept] = json.loads((data / "alerts.json").read_text())["alerts"]
        assert kept["state"] == "published"               # its copy came back while the kiosk ran
        topic = T.alert(DEVICE, kept["id"])
        got = late_retained(url, T.alert_wildcard())[topic]   # the kiosk has exited; the broker keeps it
    assert got["kind"] == "emergency" and got["transcript"] == event["transcript"] and "fire" in got["transcript"]
    assert got["venue_time"] == event["venue_time"] and got["device"] == DEVICE
