"""The kiosk's one event recorder: every subscriber of a kind hears it; a failing one stops nothing."""

from runtime.conversation.kiosk_state import KioskRun
from runtime.ops.event_recorder import EventKind, EventRecorder


def test_events_reach_the_run_report_and_every_subscriber_even_when_one_fails():
    events, run, logged = EventRecorder(), KioskRun(), []

    def broken_log(kind, data):
        raise OSError("disk full")

    events.subscribe(run.on_event)
    events.subscribe(broken_log, EventKind.TURN)
    events.subscribe(lambda kind, data: logged.append((kind, data)), EventKind.TURN, EventKind.BARGE_IN)
    events.record(EventKind.TURN, {"transcript": "where is the cinema"})
    events.record(EventKind.DISCARDED_TURN, {"at": 1.0})
    events.record(EventKind.BARGE_IN, {"onset_ms": 1200, "cut_answers": 1})
    events.record(EventKind.STAGE_FAILURE, {"stage": "asr-en", "error": "RuntimeError: boom"})
    assert run.turns == [{"transcript": "where is the cinema"}] and run.discarded == 1
    assert run.barge_ins == [{"onset_ms": 1200, "cut_answers": 1}]
    assert [k for k, _ in logged] == [EventKind.TURN, EventKind.BARGE_IN]
    assert events.subscriber_errors == 1
    assert events.counts[EventKind.STAGE_FAILURE] == 1 and events.counts[EventKind.TURN] == 1
