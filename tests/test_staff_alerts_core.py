"""Staff alerts in the agent core, without a broker: raised -> published -> acknowledged, kept in a
file until acknowledged, published again on every connection. Time is passed in."""

from __future__ import annotations

import json
import logging

import pytest

from fleet import topics as T
from fleet.agent_alerts import Alert, AlertBook, MemoryAlertStore, alert_id
from fleet.agent_core import AgentCore, Identity, Publish, Subscribe
from fleet.alert_state import AlertState, IllegalAlertMove, advance
from fleet.alert_store import FileAlertStore
from fleet.chunk_store import CountingChunkStore
from fleet.simulator import SimulatedState

NOW = 1_796_000_000.0           # 2026-11-30 00:53:20 UTC
EVENT = {"kind": "emergency", "lang": "en", "cue": "fire", "transcript": "help there is a fire",
         "speech_start_ms": 1234, "venue_time": "2026-11-30T10:13:20+08:00"}
PAYLOAD_FIELDS = {"id", "kind", "lang", "cue", "transcript", "device", "venue_time", "raised_at"}


def _core(store=None) -> AgentCore:
    return AgentCore(Identity("kiosk-1", ("mall-a",)), SimulatedState(), CountingChunkStore(),
                     alerts=store if store is not None else MemoryAlertStore())


def _alerts(actions) -> list[Publish]:
    return [a for a in actions if isinstance(a, Publish) and T.parse_alert_topic(a.topic)]


def _reported(actions) -> list[dict]:
    return [json.loads(a.payload) for a in actions if isinstance(a, Publish) and a.topic.endswith("/reported")]


def _kept(store: MemoryAlertStore) -> dict[str, str]:
    return {a["id"]: a["state"] for a in (store.doc or {}).get("alerts", [])}


def test_an_alert_raised_offline_is_kept_then_published_retained_at_the_next_connection():
    store = MemoryAlertStore()
    core = _core(store)
    assert core.raise_alert(EVENT, NOW) == []                       # no broker: nothing to send yet
    [(aid, state)] = _kept(store).items()
    assert state == "raised"
    actions = core.connected(1, NOW + 5)
    subscribe = next(a for a in actions if isinstance(a, Subscribe))
    assert T.alert_wildcard("kiosk-1") in subscribe.topics          # it listens for its copies and the clears
    [pub] = _alerts(actions)
    assert pub.topic == T.alert("kiosk-1", aid) and pub.retain and pub.qos == 1
    payload = json.loads(pub.payload)
    assert set(payload) == PAYLOAD_FIELDS
    assert payload["device"] == "kiosk-1" and payload["transcript"] == "help there is a fire"
    assert payload["venue_time"] == EVENT["venue_time"] and payload["raised_at"] == "2026-11-30T00:53:20.000+00:00"
    assert _reported(actions)[0]["alerts"] == [aid]                 # admins read it on its exact topic


def test_ids_are_unique_and_sort_in_the_order_raised_even_with_the_clock_set_back(tmp_path):
    store = FileAlertStore(tmp_path / "alerts.json")
    core = _core(store)
    for t in (NOW, NOW, NOW, NOW + 0.002):
        core.raise_alert(EVENT, t)
    ids = [a.id for a in core.alerts.pending]
    assert len(set(ids)) == 4 and ids == sorted(ids)
    assert ids[0] == "20261130T005320000Z-000001" and ids[-1].startswith("20261130T005320002Z-")
    again = _core(FileAlertStore(tmp_path / "alerts.json"))         # restarted, the clock back at NOW
    again.raise_alert(EVENT, NOW)
    assert len({a.id for a in again.alerts.pending}) == 5


def test_its_copy_coming_back_marks_it_published_and_a_clear_acknowledges_it():
    store = MemoryAlertStore()
    core = _core(store)
    core.connected(1, NOW)
    actions = core.raise_alert(EVENT, NOW + 1)
    [pub] = _alerts(actions)
    aid = T.parse_alert_topic(pub.topic)[1]
    assert _reported(actions)[0]["alerts"] == [aid]
    assert core.message(pub.topic, pub.payload, NOW + 1.1) == []    # the broker holds it
    assert core.alerts.state(aid) == AlertState.PUBLISHED and _kept(store) == {aid: "published"}
    cleared = core.message(pub.topic, b"", NOW + 60)                # an admin cleared it
    assert _reported(cleared)[0]["alerts"] == []
    assert core.alerts.state(aid) == AlertState.ACKNOWLEDGED and _kept(store) == {}
    assert core.message(pub.topic, b"", NOW + 61) == []             # a second clear changes nothing


def test_every_connection_publishes_every_alert_not_yet_acknowledged():
    core = _core()
    core.connected(1, NOW)
    first = _alerts(core.raise_alert(EVENT, NOW))[0]
    second = _alerts(core.raise_alert({**EVENT, "kind": "lost_child"}, NOW + 1))[0]
    core.message(first.topic, first.payload, NOW + 1)               # published; the second never came back
    core.disconnected()
    assert [a.topic for a in _alerts(core.connected(2, NOW + 30))] == [first.topic, second.topic]
    core.message(first.topic, b"", NOW + 40)
    core.disconnected()
    assert [a.topic for a in _alerts(core.connected(3, NOW + 90))] == [second.topic]


def test_a_clear_that_raced_a_republication_is_repeated_when_the_copy_comes_back():
    core = _core()
    core.connected(1, NOW)
    pub = _alerts(core.raise_alert(EVENT, NOW))[0]
    core.message(pub.topic, pub.payload, NOW)
    core.message(pub.topic, b"", NOW + 5)                           # acknowledged ...
    again = core.message(pub.topic, pub.payload, NOW + 5.1)         # ... then an older copy landed after it
    assert again == [Publish(pub.topic, b"", 1, True)]


def test_an_alert_on_the_broker_but_not_in_the_file_is_kept_and_a_bad_one_reported():
    store = MemoryAlertStore()
    core = _core(store)
    core.connected(1, NOW)
    lost = Alert.from_event(EVENT, "kiosk-1", alert_id(NOW - 3600, 41), "2026-11-29T23:53:20.000+00:00")
    topic = T.alert("kiosk-1", lost.id)
    actions = core.message(topic, json.dumps(lost.payload()).encode(), NOW)
    assert _reported(actions)[0]["alerts"] == [lost.id] and _kept(store) == {lost.id: "published"}
    assert core.alerts.next_seq == 42                                # its number is never given again
    bad = core.message(T.alert("kiosk-1", "x1"), b'{"id": "x1"}', NOW)
    [event] = [json.loads(a.payload) for a in bad if a.topic.endswith("/events")]
    assert event["event"] == "bad-message" and "kind: expected text" in event["error"]
    assert core.message(T.alert("kiosk-2", lost.id), b"", NOW) == []  # another device's: not ours


def test_alert_states_move_only_by_their_table():
    assert advance(AlertState.RAISED, AlertState.PUBLISHED) == AlertState.PUBLISHED
    assert advance(AlertState.RAISED, AlertState.ACKNOWLEDGED) == AlertState.ACKNOWLEDGED
    assert advance(AlertState.PUBLISHED, AlertState.ACKNOWLEDGED) == AlertState.ACKNOWLEDGED
    for current, nxt in ((AlertState.ACKNOWLEDGED, AlertState.PUBLISHED), (AlertState.PUBLISHED, AlertState.RAISED),
                         (AlertState.ACKNOWLEDGED, AlertState.RAISED)):
        with pytest.raises(IllegalAlertMove, match=f"{current.value} -> {nxt.value}"):
            advance(current, nxt)


def test_alerts_survive_a_restart_in_their_file(tmp_path):
    path = tmp_path / "alerts.json"
    core = _core(FileAlertStore(path))
    core.raise_alert(EVENT, NOW)
    core.raise_alert({**EVENT, "kind": "scam", "transcript": "they want a code"}, NOW + 1)
    restarted = _core(FileAlertStore(path))
    assert [a.kind for a in restarted.alerts.pending] == ["emergency", "scam"]
    assert len(_alerts(restarted.connected(1, NOW + 100))) == 2


@pytest.mark.parametrize("content", [b"\x00\x01 not json", b'["a list"]', b'{"alerts": "many"}'])
def test_a_corrupt_alert_file_is_named_kept_aside_and_counted(tmp_path, caplog, content):
    path = tmp_path / "alerts.json"
    path.write_bytes(content)
    with caplog.at_level(logging.ERROR):
        core = _core(FileAlertStore(path))
    assert str(path) in caplog.text
    assert core.alerts.problems >= 1 and str(path) in core.alerts.last_problem
    assert (tmp_path / "alerts.json.bad-1").read_bytes() == content      # kept for a person to read
    assert core.alerts.pending == []
    core.connected(1, NOW)
    assert _alerts(core.raise_alert(EVENT, NOW))                     # and the agent goes on
    assert str(path) in core.reported_doc()["alerts_error"]
    assert len(json.loads(path.read_text())["alerts"]) == 1


def test_one_bad_entry_is_reported_and_the_good_ones_kept(tmp_path, caplog):
    path = tmp_path / "alerts.json"
    good = {**Alert.from_event(EVENT, "kiosk-1", alert_id(NOW, 7), "2026-11-30T00:53:20.000+00:00").payload(),
            "state": "raised"}
    path.write_text(json.dumps({"version": 1, "next_seq": 8, "alerts": [good, {**good, "id": "a b"}]}))
    with caplog.at_level(logging.ERROR):
        core = _core(FileAlertStore(path))
    assert f"{path}: alerts[1]" in caplog.text and core.alerts.problems == 1
    assert [a.id for a in core.alerts.pending] == [good["id"]]
    assert (tmp_path / "alerts.json.bad-1").exists()
    assert [a["id"] for a in json.loads(path.read_text())["alerts"]] == [good["id"]]


class RefusingStore(MemoryAlertStore):
    def save(self, doc: dict) -> None:
        raise OSError(30, "Read-only file system")


def test_a_disk_that_refuses_the_file_still_lets_the_alert_out(caplog):
    core = _core(RefusingStore(name="/ro/alerts.json"))
    core.connected(1, NOW)
    with caplog.at_level(logging.ERROR):
        assert _alerts(core.raise_alert(EVENT, NOW))
    assert "/ro/alerts.json" in caplog.text and "Read-only" in caplog.text
    assert core.alerts.problems == 1 and len(core.alerts.pending) == 1


def test_the_book_alone_keeps_the_transcript_short():
    book = AlertBook("kiosk-1", MemoryAlertStore())
    book.raise_alert({**EVENT, "transcript": "x" * 5000, "cue": None}, NOW, online=False)
    [alert] = book.pending
    assert len(alert.transcript) == 500 and alert.cue == ""
