"""AgentCore and rollout decisions without a broker: data in, actions out, time passed in."""

from __future__ import annotations

import hashlib
import json

from fleet import topics as T
from fleet.agent_core import AgentCore, Identity, Install, Publish, Subscribe, Unsubscribe
from fleet.chunk_store import CountingChunkStore
from fleet.messages import Desired, Offer
from fleet.rollout_plan import judge, parse_waves, plan_waves
from fleet.simulator import SimulatedState


def _core(**kw) -> AgentCore:
    return AgentCore(Identity("kiosk-1", ("mall-a",), "Mall A"), SimulatedState(), CountingChunkStore(), **kw)


def _published(actions, leaf):
    return [json.loads(a.payload) for a in actions if isinstance(a, Publish) and a.topic.endswith("/" + leaf)]


def _offer(chunks: list[bytes], version="1.0.0", kind="content") -> Offer:
    whole = b"".join(chunks)
    return Offer(hashlib.sha256(whole).hexdigest(), kind, version, len(whole), len(chunks[0]),
                 tuple(hashlib.sha256(c).hexdigest() for c in chunks))


def test_birth_carries_the_session_and_the_will_matches_it():
    core = _core()
    actions = core.connected(7, now=0.0)
    [status] = _published(actions, "status")
    assert status["online"] is True and status["session"] == 7
    assert json.loads(core.will(7).payload) == {"online": False, "session": 7, "device_id": "kiosk-1"}
    subs = next(a for a in actions if isinstance(a, Subscribe)).topics
    assert T.group("mall-a", "desired") in subs and T.device("kiosk-1", "cmd") in subs and T.ANNOUNCE in subs


def test_a_stale_will_is_answered_with_a_new_birth_but_a_current_one_is_not():
    core = _core()
    core.connected(3, now=0.0)
    stale = json.dumps({"online": False, "session": 2}).encode()
    assert _published(core.message(T.device("kiosk-1", "status"), stale, 1.0), "status")[0]["online"] is True
    own_birth = json.dumps({"online": True, "session": 3}).encode()
    assert core.message(T.device("kiosk-1", "status"), own_birth, 1.0) == []


def test_announce_request_republishes_status_and_reported():
    core = _core()
    core.connected(1, now=0.0)
    actions = core.message(T.ANNOUNCE, b"{}", 5.0)
    assert _published(actions, "status") and _published(actions, "reported")


def test_download_window_hash_check_and_install():
    core = _core()
    core.connected(1, now=0.0)
    chunks = [bytes([i]) * 100 for i in range(10)]
    offer = _offer(chunks)
    desired = Desired(1, {"content": offer})
    actions = core.message(T.group("mall-a", "desired"), json.dumps(desired.as_json()).encode(), 1.0)
    first = [a for a in actions if isinstance(a, Subscribe)]
    assert len(first[0].topics) == 2                          # a window, not all ten at once
    # a corrupted chunk is refused and asked for again later
    assert core.message(T.chunk(offer.bundle_id, 0), b"evil", 1.1) == [Unsubscribe((T.chunk(offer.bundle_id, 0),))]
    installs = []
    for i in range(10):
        out = core.message(T.chunk(offer.bundle_id, i), chunks[i], 2.0 + i)
        installs += [a for a in out if isinstance(a, Install)]
        if i < 9:
            assert not installs
        # the re-request of chunk 0 after the bad copy comes with the window
    assert installs == [Install(offer)]
    done = core.install_finished(offer, 20.0, "committed")
    assert _published(done, "events")[0]["event"] == "installed"


def test_a_stalled_download_resubscribes_then_gives_up_with_a_reason():
    core = _core()
    core.connected(1, now=0.0)
    offer = _offer([b"a" * 10, b"b" * 10])
    core.message(T.device("kiosk-1", "desired"), json.dumps(Desired(1, {"content": offer}).as_json()).encode(), 0.0)
    again = core.tick(25.0)
    assert isinstance(again[0], Unsubscribe) and isinstance(again[1], Subscribe)
    out = []
    for n in range(2, 16):
        out += core.tick(25.0 * n)
    assert core.installs["content"]["reason"] == "download-failed"
    assert _published(out, "events")[0]["event"] == "download-failed"


def test_telemetry_is_rate_limited_and_buffered_bounded_while_offline():
    core = _core(telemetry_interval_s=10.0, telemetry_buffer=3)
    core.connected(1, now=0.0)
    assert len(core.telemetry({"fps": 60}, 0.0)) == 1
    assert core.telemetry({"fps": 60}, 5.0) == []             # too soon
    core.disconnected()
    for t in range(10, 60, 10):
        assert core.telemetry({"fps": t}, float(t)) == []
    assert core.telemetry_dropped == 2
    flushed = _published(core.connected(2, now=70.0), "telemetry")
    assert [m["fps"] for m in flushed] == [30, 40, 50] and all(m["buffered"] for m in flushed)


def test_commands_check_expiry_and_answer_only_under_replies():
    core = _core()
    core.connected(1, now=100.0)
    cmd = T.device("kiosk-1", "cmd")
    late = {"name": "status", "reply_to": "edge-avatar/replies/admin-1", "correlation": "c1", "expires_at": 50}
    [reply] = core.message(cmd, json.dumps(late).encode(), 100.0)
    assert reply.topic == "edge-avatar/replies/admin-1/kiosk-1" and json.loads(reply.payload)["code"] == 408
    hijack = {"name": "status", "reply_to": "edge-avatar/devices/kiosk-2/desired"}
    assert core.message(cmd, json.dumps(hijack).encode(), 100.0) == []


def test_bad_desired_state_is_reported_and_the_old_state_kept():
    core = _core()
    core.connected(1, now=0.0)
    out = core.message(T.device("kiosk-1", "desired"), b'{"bundles": {"content": {"size": 1}}}', 1.0)
    [event] = _published(out, "events")
    assert event["event"] == "bad-message" and "bundles.content" in event["error"]
    assert core.installs == {}


def test_waves_are_cumulative_disjoint_and_start_small():
    devices = [f"k{i:03d}" for i in range(200)]
    plan = plan_waves(devices, parse_waves("1,10,50,100%"), "bundle-x")
    assert [len(w) for w in plan] == [2, 18, 80, 100]
    assert sorted(sum(plan, [])) == devices
    assert plan_waves(devices, [0.01], "bundle-y")[0] != plan[0]       # a different sample per bundle
    assert [len(w) for w in plan_waves(["a", "b", "c"], parse_waves("1,10,100%"), "s")] == [1, 1, 1]


def test_abort_when_the_failure_rate_passes_the_threshold():
    assert judge({"a": "committed", "b": "committed"}, 0.05).action == "continue"
    verdict = judge({f"k{i}": "committed" for i in range(19)} | {"bad": "rejected"}, 0.04)
    assert (verdict.action, verdict.failed, verdict.finished) == ("abort", 1, 20)
    assert judge({"a": "timeout"}, 0.5).action == "abort"


def test_a_slow_http_download_reports_its_progress_while_it_runs():
    """Over a slow venue link a bundle's HTTP fetch takes minutes: the chunks it keeps are reported as
    progress on the way (as MQTT chunks are), so the admin's progress deadline does not call it stuck."""
    from dataclasses import replace

    from fleet.agent_core import FetchUrl
    from fleet.chunk_download import REPORT_EVERY_S
    core = _core(http_fetch=True)
    core.connected(1, now=0.0)
    chunks = [bytes([i]) * 100 for i in range(10)]
    offer = replace(_offer(chunks), url="https://cdn.example/bundle")
    actions = core.message(T.group("mall-a", "desired"),
                           json.dumps(Desired(1, {"content": offer}).as_json()).encode(), 1.0)
    [fetch] = [a for a in actions if isinstance(a, FetchUrl)]
    assert not [a for a in actions if isinstance(a, Subscribe) and T.chunk(offer.bundle_id, 0) in a.topics]
    progress = []
    for n, i in enumerate(fetch.indices):
        core.pipeline.chunks.put(offer.bundle_id, i, chunks[i])    # what fetch_ranges does before its callback
        for doc in _published(core.url_chunk(offer, i, 1.0 + (n + 1) * REPORT_EVERY_S / 2), "reported"):
            progress.append(doc["installs"]["content"]["progress"])
    assert progress and progress == sorted(progress) and 0 < progress[0] < 1     # reported on the way
    done = core.url_fetched(offer, 40.0)
    assert [a for a in done if isinstance(a, Install)] == [Install(offer)]


def test_a_device_whose_status_has_not_come_is_not_yet_known_to_the_admin():
    """On a cluster a kiosk's report and its status (which names its groups) come through different
    nodes: a push must not start while a device is known by its report alone, or the admin's wait
    leaves it out of its group and never gives it a verdict (5 of 1 000 kiosks, once)."""
    from fleet.device_view import DeviceView
    assert not DeviceView("k", reported={"versions": {}}).known
    assert not DeviceView("k", status={"online": True, "groups": ["g"]}).known
    assert DeviceView("k", status={"online": True, "groups": ["g"]}, reported={"versions": {}}).known
