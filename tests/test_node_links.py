"""The admin's per-node links of a broker cluster (fleet/node_links.py), without a broker: a fake
paho client shows which retained messages reach which node when a node comes back mid-write."""

from __future__ import annotations

import threading

import pytest

from fleet import node_links
from fleet.broker import BrokerConfig
from fleet.node_links import NodeLink, RetainedLedger, newest


class FakeReason:
    is_failure = False


class FakeClient:
    """Records publishes; the first publish of a catch-up can be held until released."""

    def __init__(self):
        self.published: list[str] = []
        self.hold_catch_up = threading.Event()
        self.in_catch_up = threading.Event()
        self.release = threading.Event()

    def publish(self, topic, payload, qos=0, retain=False):
        if self.hold_catch_up.is_set() and threading.current_thread().name == "catch-up":
            self.in_catch_up.set()
            self.release.wait(10)
        self.published.append(topic)
        return object()

    def subscribe(self, *a, **k):
        pass

    def reconnect_delay_set(self, *a):
        pass

    def connect_async(self, *a, **k):
        pass

    def loop_start(self):
        pass


@pytest.fixture
def link(monkeypatch):
    client = FakeClient()
    monkeypatch.setattr(node_links, "make_client", lambda cfg, cid, v5: client)
    ledger = RetainedLedger()
    made = NodeLink(BrokerConfig.from_args("mqtt://127.0.0.1:1883"), "admin-link0", False, ledger, lambda m: None)
    made._on_connect(client, None, {}, FakeReason(), None)         # the first connection
    return made, ledger, client


def test_a_write_recorded_while_the_node_is_being_caught_up_still_reaches_it(link):
    made, ledger, client = link
    ledger.record("bundles/b/0", b"zero")
    made._on_disconnect(client, None, {}, FakeReason(), None)
    client.hold_catch_up.set()
    catch_up = threading.Thread(target=made._on_connect, args=(client, None, {}, FakeReason(), None),
                                name="catch-up")
    catch_up.start()
    assert client.in_catch_up.wait(10)          # the catch-up has read the ledger: chunk 1 is not in it
    ledger.record("bundles/b/1", b"one")
    result: list = []
    writer = threading.Thread(target=lambda: result.append(made.write("bundles/b/1", b"one")))
    writer.start()
    client.release.set()
    catch_up.join(10)
    writer.join(10)
    assert result and result[0] is not None, "the write found the link down and skipped it"
    assert "bundles/b/1" in client.published


def test_a_write_while_the_node_is_away_is_skipped_and_written_on_its_return(link):
    made, ledger, client = link
    made._on_disconnect(client, None, {}, FakeReason(), None)
    ledger.record("bundles/b/0", b"zero")
    assert made.write("bundles/b/0", b"zero") is None
    made._on_connect(client, None, {}, FakeReason(), None)
    assert client.published.count("bundles/b/0") == 1 and made.rewrites == 1


def test_newest_keeps_the_highest_session_and_revision():
    assert newest([None, b'{"rev": 2}', b'{"rev": 5}', b"raw"]) == b'{"rev": 5}'
    assert newest([None, None]) is None


def test_a_node_that_first_answers_after_writes_began_gets_them_on_its_first_connection(monkeypatch):
    client = FakeClient()
    monkeypatch.setattr(node_links, "make_client", lambda cfg, cid, v5: client)
    ledger = RetainedLedger()
    late = NodeLink(BrokerConfig.from_args("mqtt://127.0.0.1:1883"), "admin-link2", False, ledger, lambda m: None)
    ledger.record("desired/group/g", b'{"rev": 1}')
    assert late.write("desired/group/g", b'{"rev": 1}') is None      # not answering yet
    late._on_connect(client, None, {}, FakeReason(), None)           # its first connection
    assert client.published == ["desired/group/g"]
