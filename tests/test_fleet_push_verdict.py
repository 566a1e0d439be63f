"""The admin's verdict on each device of a push, and the back-off of retries: pure, time passed in."""

from __future__ import annotations

import pytest

from fleet.backoff import backoff_delay
from fleet.push_verdict import Deadlines, Observation, Verdict, at_timeout, judge, tally
from fleet.push_watch import PushWatch

D = Deadlines(progress_s=100.0, offline_s=50.0)
B = "b" * 64


def _rec(state, **kw):
    return {"state": state, "bundle_id": B, **kw}


def test_final_states_are_verdicts_with_their_reasons():
    assert judge(Observation(_rec("committed"), True, 0.0), 1.0, D).verdict is Verdict.COMMITTED
    refused = judge(Observation(_rec("rejected", reason="bad-signature", detail="key x"), False, 0.0), 1.0, D)
    assert (refused.verdict, refused.reason) == (Verdict.REFUSED, "bad-signature")
    assert refused.describe() == "refused: bad-signature (key x)"
    failed = judge(Observation(_rec("failed", reason="download-failed", detail="no chunk"), True, 0.0), 1.0, D)
    assert failed.verdict is Verdict.FAILED and failed.final


def test_a_device_that_stops_moving_is_stuck_at_its_step_since_its_last_change():
    obs = Observation(_rec("downloading", progress=0.42), True, changed_at=1000.0)
    assert judge(obs, 1099.0, D).verdict is Verdict.PENDING
    stuck = judge(obs, 1100.0, D)
    assert (stuck.verdict, stuck.step, stuck.since, stuck.progress) == (Verdict.STUCK, "downloading", 1000.0, 0.42)
    assert stuck.describe().startswith("stuck at downloading (42%) since ")
    never = judge(Observation(None, True, changed_at=0.0), 100.0, D)     # never said a word about the bundle
    assert (never.verdict, never.step) == (Verdict.STUCK, "offered")


def test_offline_is_judged_on_its_own_deadline_and_a_timeout_makes_pending_stuck():
    obs = Observation(_rec("downloading", progress=0.1), False, changed_at=0.0, offline_since=10.0)
    assert judge(obs, 59.0, D).verdict is Verdict.PENDING
    off = judge(obs, 60.0, D)
    assert off.verdict is Verdict.OFFLINE and off.since == 10.0 and "last at downloading" in off.describe()
    late = at_timeout(judge(obs, 20.0, D))
    assert late.verdict is Verdict.STUCK and "timeout" in late.detail
    assert tally({"a": off, "b": late})["offline"] == 1


def test_the_watch_restarts_the_deadline_on_every_change_and_on_coming_back():
    watch = PushWatch(["k1", "k2"], B, started_at=0.0)
    views = {"k1": (True, {"installs": {"panel": _rec("downloading", progress=0.1)}})}   # k2 never seen
    v = watch.verdicts(views, 10.0, D)
    assert v["k1"].verdict is Verdict.PENDING and v["k2"].verdict is Verdict.PENDING
    assert watch.verdicts(views, 60.0, D)["k2"].verdict is Verdict.OFFLINE           # unseen since the start
    views["k1"] = (True, {"installs": {"panel": _rec("downloading", progress=0.5)}})
    assert watch.verdicts(views, 100.0, D)["k1"].since == 100.0                       # progress moved
    views["k1"] = (False, views["k1"][1])
    assert watch.verdicts(views, 120.0, D)["k1"].verdict is Verdict.PENDING
    views["k1"] = (True, views["k1"][1])
    assert watch.verdicts(views, 160.0, D)["k1"].since == 160.0                       # back: a new deadline


def test_bad_deadlines_and_back_off_arguments_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="progress_s=0"):
        Deadlines(progress_s=0)
    with pytest.raises(ValueError, match="attempt 0"):
        backoff_delay(0, 1.0, 10.0, 0.5)
    with pytest.raises(ValueError, match="draw 1.0"):
        backoff_delay(1, 1.0, 10.0, 1.0)


def test_back_off_doubles_up_to_its_cap_and_jitter_spreads_it():
    assert [backoff_delay(n, 1.0, 10.0, 0.5) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert backoff_delay(3, 1.0, 10.0, 0.0) == 3.0 and backoff_delay(3, 1.0, 10.0, 0.999) == pytest.approx(5.0, 0.01)


def test_a_simulated_kiosk_link_counts_a_loss_once_and_backs_off_until_it_is_up():
    from fleet.sim_link import RECONNECT_FIRST_S, KioskLink, Link
    link = KioskLink()
    link.up()
    assert link.lost(100.0, draw=0.5) and not link.lost(100.1, draw=0.5)   # one loss, reported twice
    assert link.state is Link.DOWN and not link.due(100.0 + RECONNECT_FIRST_S - 0.01)
    assert link.due(100.0 + RECONNECT_FIRST_S)
    link.refused(101.0, draw=0.5)                                           # broker still away: wait longer
    assert link.retry_at == 101.0 + 2 * RECONNECT_FIRST_S
    link.connecting()
    link.up()
    assert (link.state, link.attempts) == (Link.ONLINE, 0)
    link.connecting()                                                       # not from ONLINE: counted, not done
    assert link.state is Link.ONLINE and link.illegal_moves == 1
    link.close()
    assert not link.lost(200.0, draw=0.5) and not link.carries_traffic


def test_a_quiet_device_is_read_again_and_stuck_stands_only_once_a_later_read_confirms_it():
    from fleet.push_watch import REREAD_EMPTY_TRIES, REREAD_QUIET_S
    watch = PushWatch(["k1", "k2"], B, started_at=0.0)
    views = {"k1": (True, {"installs": {"panel": _rec("installing")}}),
             "k2": (True, {"installs": {"panel": _rec("downloading", progress=0.5)}})}
    v = watch.verdicts(views, 1.0, D)
    assert watch.rereads_due(v, 1.0, D) == []                                  # news just came
    v = watch.verdicts(views, 1.0 + REREAD_QUIET_S, D)
    assert watch.rereads_due(v, 1.0 + REREAD_QUIET_S, D) == ["k1", "k2"]      # quiet: read them again
    watch.reread("k1", 16.0, found=True)
    watch.reread("k2", 16.0, found=True)
    assert watch.rereads_due(watch.verdicts(views, 20.0, D), 20.0, D) == []   # not again so soon
    # the deadline passes: judged stuck, but pending until a read made after the deadline confirms it
    judged = watch.verdicts(views, 101.0, D)
    assert judged["k1"].verdict is Verdict.STUCK
    assert watch.unconfirmed(judged, D)["k1"].verdict is Verdict.PENDING
    assert watch.rereads_due(judged, 101.0, D) == ["k1", "k2"]
    # the read brings k1's committed record (its live report was dropped): committed, not stuck
    views["k1"] = (True, {"installs": {"panel": _rec("committed")}})
    watch.reread("k1", 101.0, found=True)
    watch.reread("k2", 101.0, found=True)
    after = watch.unconfirmed(watch.verdicts(views, 101.5, D), D)
    assert after["k1"].verdict is Verdict.COMMITTED and after["k2"].verdict is Verdict.STUCK
    # a device with nothing retained: its verdict stands after a few reads that found nothing
    lone = PushWatch(["k3"], B, started_at=0.0)
    lone.verdicts({}, 1.0, D)                                                 # never seen: offline from here
    judged = lone.verdicts({}, 60.0, D)
    assert judged["k3"].verdict is Verdict.OFFLINE
    for _ in range(REREAD_EMPTY_TRIES - 1):
        lone.reread("k3", 60.0, found=False)
        assert lone.unconfirmed(judged, D)["k3"].verdict is Verdict.PENDING
    lone.reread("k3", 60.0, found=False)
    assert lone.unconfirmed(judged, D)["k3"].verdict is Verdict.OFFLINE
