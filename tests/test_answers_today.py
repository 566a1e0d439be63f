"""'Answers today' (the devices table's column, telemetry `answers_today`): the kiosk's answered turns
since midnight in the venue's time zone, counted by runtime/ops/daily_count.py (pure) and sent by
KioskControl.telemetry. Not kept across a kiosk restart (documented)."""

from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from runtime.ops.daily_count import DailyCount
from runtime.ops.event_recorder import EventKind, EventRecorder

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def test_the_count_is_of_the_local_day_and_starts_again_after_midnight():
    count = DailyCount()
    assert count.value(_at(6, 9)) == 0
    for minute in range(3):
        count.add(_at(6, 23, 57 + minute))
    assert count.value(_at(6, 23, 59)) == 3
    assert count.value(_at(7, 0, 0)) == 0             # midnight passed, no answer yet today
    assert count.add(_at(7, 0, 1)) == 1               # the first answer of the new day
    assert count.value(_at(7, 8)) == 1
    assert count.value(_at(8, 8)) == 0                # a day without answers


def test_the_day_is_the_venue_s_not_utc():
    count = DailyCount()
    count.add(_at(6, 7))                              # 07:00 in Beijing is 23:00 UTC on the 5th
    assert count.value(_at(6, 20)) == 1
    assert count.value(_at(6, 7).astimezone(dt.timezone.utc)) == 0   # read in UTC: another day


def test_kiosk_telemetry_carries_the_answers_of_the_venue_s_day(tmp_path):
    from runtime.composition.fleet_link import KioskControl
    clock = [_at(6, 23, 50).timestamp()]
    kiosk = SimpleNamespace(events=EventRecorder(), speech=SimpleNamespace(volume=1.0),
                            responder=SimpleNamespace(timezone=SHANGHAI, pack=SimpleNamespace(venue_id="mall")),
                            run_state=SimpleNamespace(turns=[], greetings=[], barge_ins=[]),
                            view=SimpleNamespace(frames_drawn=0))
    control = KioskControl(kiosk, tmp_path, wall_clock=lambda: clock[0])
    try:
        for _ in range(2):
            kiosk.run_state.turns.append({})
            kiosk.events.record(EventKind.TURN, {})
        kiosk.events.record(EventKind.GREETING, {})   # a greeting is not an answer
        assert control.telemetry()["answers_today"] == 2
        clock[0] = _at(7, 0, 5).timestamp()           # past the venue's midnight
        t = control.telemetry()
        assert t["answers_today"] == 0 and t["interactions"] == 2
        kiosk.events.record(EventKind.TURN, {})
        assert control.telemetry()["answers_today"] == 1
    finally:
        logging.getLogger().removeHandler(control.errors)


def test_the_metrics_exposition_carries_answers_today():
    from fleet.admin import DeviceView
    from fleet.metrics import render
    text = render({"k1": DeviceView("k1", {"online": True}, {}, {"answers_today": 7}, 1.0)}, 2.0)
    assert 'edge_avatar_device_answers_today{device="k1"' in text
    line = next(line for line in text.splitlines() if line.startswith("edge_avatar_device_answers_today{"))
    assert line.endswith((" 7", " 7.0"))
