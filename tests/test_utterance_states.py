"""An utterance's state table: each state's steps lead where the table says, every other step is an
error naming the state, and the events waiters use are set by the steps that promise them."""

from __future__ import annotations

import time

import pytest

from runtime.audio.sinks import NullSink
from runtime.speaking.speech_output import SpeechOutput
from runtime.speaking.utterance import EVENTS, TABLE, IllegalStep, State, Step, Utterance
from runtime.tts.base import ToneSynthesizer

WAITED_ON = ("released", "first_ready", "first_played", "done")


def _in(state: State) -> Utterance:
    """A fresh utterance brought to `state` by legal steps."""
    u = Utterance("The cinema is on the third floor.", "en", held=state is State.HELD)
    path = {State.HELD: [], State.QUEUED: [], State.PLAYING: [Step.PLAY], State.DONE: [Step.FINISH],
            State.FAILED: [Step.FAIL], State.PAUSED: [Step.PAUSE], State.DROPPED: [Step.DROP],
            State.CUT: [Step.PLAY, Step.CUT]}[state]
    for step in path:
        if step is Step.PLAY:
            u.first_audio_at = u.heard_from = 1.0
        u.step(step, at=2.0, error="voice broke" if step is Step.FAIL else None)
    assert u.state is state
    return u


def _set(u: Utterance) -> set[str]:
    return {name for name in WAITED_ON if getattr(u, name).is_set()}


LEGAL = [(s, step) for s in State for step in TABLE[s]]
ILLEGAL = [(s, step) for s in State for step in Step if step not in TABLE[s]]


@pytest.mark.parametrize("state, step", LEGAL, ids=[f"{s.name}-{p.value}" for s, p in LEGAL])
def test_a_legal_step_goes_where_the_table_says_and_sets_its_events(state, step):
    u = _in(state)
    before = _set(u)
    after = u.step(step, at=3.0, error="voice broke")
    target = TABLE[state][step]
    assert after is u.state and after is (State.QUEUED if isinstance(target, tuple) else target)
    assert _set(u) == before | set(EVENTS.get(step, ()))


@pytest.mark.parametrize("state, step", ILLEGAL, ids=[f"{s.name}-{p.value}" for s, p in ILLEGAL])
def test_an_illegal_step_is_an_error_naming_the_state_and_changes_nothing(state, step):
    u = _in(state)
    before = _set(u)
    with pytest.raises(IllegalStep, match=f"cannot {step.value} from {state.name}"):
        u.step(step)
    assert u.state is state and _set(u) == before


def test_the_events_waiters_use_are_set_on_the_right_steps():
    held = Utterance("hello", "en", held=True)
    assert _set(held) == set() and held.held
    held.step(Step.READY)                         # the first clause: a speculation is ready
    assert _set(held) == {"first_ready"} and held.state is State.HELD
    held.step(Step.RELEASE)                       # wakes the worker
    assert _set(held) == {"first_ready", "released"} and not held.held
    held.step(Step.PLAY)
    assert held.state is State.PLAYING and "first_played" in _set(held) and "done" not in _set(held)
    held.step(Step.FINISH)
    assert held.state is State.DONE and _set(held) == set(WAITED_ON)

    dropped = Utterance("never mind", "en", held=True)
    dropped.step(Step.DROP)                       # wakes the worker, which then lets go
    assert dropped.dropped and _set(dropped) == {"released"}
    dropped.step(Step.FINISH)
    assert dropped.state is State.DROPPED and _set(dropped) == set(WAITED_ON)

    failed = Utterance("hello", "en")
    failed.step(Step.FAIL, error="espeak-ng: exit 1")   # no waiter is left waiting
    assert failed.state is State.FAILED and failed.error == "espeak-ng: exit 1" and _set(failed) == set(WAITED_ON)


def test_a_pause_or_a_resume_sets_no_event_and_resume_goes_back_to_where_it_had_got_to():
    u = Utterance("hello", "en", held=True)
    u.step(Step.PAUSE)
    assert u.paused and _set(u) == set()
    assert u.step(Step.RESUME) is State.HELD
    u.step(Step.PAUSE)
    u.step(Step.RELEASE)                          # committed while paused: it waits for the resume
    assert u.paused and u.step(Step.RESUME) is State.QUEUED
    u.first_audio_at = u.heard_from = 1.0
    u.step(Step.PLAY)
    u.step(Step.PAUSE)
    assert u.step(Step.RESUME) is State.PLAYING
    u.step(Step.PAUSE)
    u.step(Step.FINISH)                           # the worker handed over the rest meanwhile
    assert u.paused and u.done.is_set() and u.step(Step.RESUME) is State.DONE
    v = _in(State.PAUSED)
    v.step(Step.FAIL, error="voice broke")
    assert v.paused and v.step(Step.RESUME) is State.FAILED and v.error == "voice broke"


def test_a_cut_keeps_where_it_stopped_and_is_dropped_and_nothing_is_written_from_outside():
    u = _in(State.PLAYING)
    u.step(Step.CUT, at=2.5)
    assert u.cut_at == 2.5 and u.dropped and not u.paused
    u.step(Step.DROP)
    assert u.state is State.CUT and u.cut_at == 2.5
    for name in ("held", "dropped", "paused", "error", "cut_at", "state"):
        with pytest.raises(AttributeError):
            setattr(u, name, None)


def test_the_speaking_stage_moves_an_answer_through_its_states():
    now = [0.0]
    speech = SpeechOutput({"en": ToneSynthesizer()}, NullSink(16000), lambda: now[0], time.perf_counter)
    u = speech.say("a long answer that will be cut", "en")
    assert u.done.wait(5) and u.state is State.DONE
    now[0] = 0.5
    speech.pause(now[0])
    assert u.state is State.PAUSED
    speech.resume(0.8)
    assert u.state is State.DONE and u.paused_s == pytest.approx(0.3)
    speech.interrupt(1.0)
    assert u.state is State.CUT and u.cut_at == pytest.approx(1.0)
    held = speech.say("never mind", "en", held=True)
    assert held.first_ready.wait(5) and held.state is State.HELD
    speech.drop(held)
    assert held.done.wait(5) and held.state is State.DROPPED and held.first_audio_at is None
    speech.close()
