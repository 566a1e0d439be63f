"""Install states: the wire values, the transition table, and the agent keeping to it."""

from __future__ import annotations

import hashlib
import json
import logging

import pytest

from fleet import topics as T
from fleet.agent_core import AgentCore, Identity, Install
from fleet.chunk_download import GIVE_UP_S, RETRY_CAP_S, RETRY_FIRST_S, ChunkDownload
from fleet.chunk_store import CountingChunkStore
from fleet.install_records import InstallRecords
from fleet.install_state import (
    TERMINAL,
    TRANSITIONS,
    IllegalTransition,
    InstallState,
    advance,
)
from fleet.messages import Desired, Offer, encode
from fleet.simulator import SimulatedState

S = InstallState


def _offer(chunks: list[bytes], version="1.0.0") -> Offer:
    whole = b"".join(chunks)
    return Offer(hashlib.sha256(whole).hexdigest(), "content", version, len(whole), len(chunks[0]),
                 tuple(hashlib.sha256(c).hexdigest() for c in chunks))


def test_the_values_on_the_wire_are_the_old_strings():
    assert {s.value for s in S} == {"queued", "downloading", "installing", "committed", "rejected", "failed",
                                    "rolled-back", "already-installed", "timeout"}
    assert encode({"state": S.ROLLED_BACK}) == b'{"state":"rolled-back"}'
    assert f"{S.COMMITTED}" == str(S.COMMITTED) == "committed" and S.COMMITTED == "committed"
    assert "failed" in (S.REJECTED, S.FAILED) and S("timeout") is S.TIMEOUT


def test_every_state_has_a_row_and_every_device_state_is_reachable():
    assert set(TRANSITIONS) == {None, *S}
    reachable, frontier = set(), [None]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()] - reachable:
            reachable.add(nxt)
            frontier.append(nxt)
    assert reachable == set(S) - {S.ALREADY_INSTALLED, S.TIMEOUT}
    assert set(TERMINAL) == {S.COMMITTED, S.REJECTED, S.FAILED, S.ROLLED_BACK}


def test_advance_allows_the_table_and_names_both_states_otherwise():
    state = None
    for nxt in (S.QUEUED, S.DOWNLOADING, S.INSTALLING, S.COMMITTED, S.ROLLED_BACK):
        state = advance(state, nxt)
    assert state is S.ROLLED_BACK
    with pytest.raises(IllegalTransition, match="committed -> downloading"):
        advance(S.COMMITTED, S.DOWNLOADING)
    with pytest.raises(IllegalTransition, match="new -> installing"):
        advance(None, S.INSTALLING)


def test_an_illegal_move_is_logged_counted_and_still_recorded(caplog):
    records = InstallRecords()
    records.move("content", S.QUEUED, "a" * 64, version="1")
    with caplog.at_level(logging.WARNING, logger="fleet.install_records"):
        records.move("content", S.COMMITTED, "a" * 64, version="1")
    assert records.illegal_moves == 1 and "queued -> committed" in caplog.text
    assert records.by_kind["content"] == {"state": S.COMMITTED, "bundle_id": "a" * 64, "version": "1"}


def test_a_bundle_in_flight_keeps_its_state_when_another_offer_takes_the_kind_record():
    records = InstallRecords()
    records.move("content", S.QUEUED, "a" * 64)
    records.move("content", S.DOWNLOADING, "a" * 64)
    records.move("content", S.QUEUED, "b" * 64)          # a newer offer of the same kind
    assert records.current("content", "a" * 64) is S.DOWNLOADING
    records.move("content", S.INSTALLING, "a" * 64)
    assert records.illegal_moves == 0


def test_one_install_through_the_agent_keeps_to_the_table():
    core = AgentCore(Identity("kiosk-1"), SimulatedState(), CountingChunkStore())
    core.connected(1, now=0.0)
    chunks = [bytes([i]) * 64 for i in range(3)]
    offer = _offer(chunks)
    core.message(T.device("kiosk-1", "desired"), encode(Desired(1, {"content": offer}).as_json()), 1.0)
    assert core.installs["content"]["state"] is S.DOWNLOADING
    out = [a for i, c in enumerate(chunks) for a in core.message(T.chunk(offer.bundle_id, i), c, 2.0)]
    assert Install(offer) in out and core.installs["content"]["state"] is S.INSTALLING
    core.install_finished(offer, 3.0, S.COMMITTED)
    assert json.loads(json.dumps(core.reported_doc()))["installs"]["content"]["state"] == "committed"
    assert core.pipeline.records.illegal_moves == 0


def test_a_missing_chunk_is_asked_for_again_with_back_off_then_the_download_gives_up():
    d = ChunkDownload(_offer([b"a" * 8, b"b" * 8]), set(), last_progress=0.0)
    assert d.window(0.0) == [0, 1]
    assert d.overdue(RETRY_FIRST_S / 2, online=True, draw=0.5) == []
    assert d.overdue(RETRY_FIRST_S * 2, online=False, draw=0.5) == []      # offline: nobody to ask
    asked_at = [t for t in range(0, int(GIVE_UP_S)) if d.overdue(float(t), online=True, draw=0.5)]
    gaps = [b - a for a, b in zip(asked_at, asked_at[1:])]
    assert asked_at[0] == RETRY_FIRST_S and gaps == sorted(gaps) and max(gaps) <= RETRY_CAP_S
    assert gaps[0] == 2 * RETRY_FIRST_S and d.retries == 2 * len(asked_at)  # both chunks, each time
    assert not d.given_up(GIVE_UP_S - 1, online=True) and not d.given_up(GIVE_UP_S, online=False)
    assert d.given_up(GIVE_UP_S, online=True)
    d.stored(0, GIVE_UP_S - 1)                                             # a chunk came: the deadline moves
    assert not d.given_up(GIVE_UP_S, online=True)
    d.forget_requests(1000.0)                                              # a reconnect: asked for anew
    assert d.requested == {} and d.window(1000.0) == [1] and not d.given_up(1000.0 + GIVE_UP_S - 1, True)
