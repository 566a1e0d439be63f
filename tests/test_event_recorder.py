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


def test_a_supervised_stage_reports_its_failure_to_the_recorder():
    from runtime.asr.base import ScriptedRecognizer
    from runtime.asr.supervised import SupervisedRecognizer
    from runtime.ops.supervised_stage import Supervised

    class Dying(ScriptedRecognizer):
        def accept(self, chunk):
            raise RuntimeError("decoder state corrupted")

    events, failures = EventRecorder(), []
    events.subscribe(lambda kind, data: failures.append(data), EventKind.STAGE_FAILURE)
    stage = SupervisedRecognizer(lambda: Dying(["x"]), None, clock=lambda: 0.0, background=False,
                                 name="ps", language="en")
    assert isinstance(stage, Supervised)
    stage.on_failure = lambda name, error: events.record(EventKind.STAGE_FAILURE, {"stage": name, "error": error})
    from runtime.audio.chunk import AudioChunk
    stage.start()
    stage.accept(AudioChunk.silence(0.032, 16000))
    assert failures == [{"stage": "asr-en", "error": "RuntimeError: decoder state corrupted"}]
    assert not stage.hearing and stage.health.failures == 1
