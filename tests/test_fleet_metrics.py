"""`fleet/metrics.py`: the fleet as Prometheus text, read back by the reference parser
(prometheus_client); the kiosk's telemetry as it reaches it; the example Grafana dashboard
(docs/grafana-fleet-dashboard.json) queries only what it exports."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from types import SimpleNamespace

from prometheus_client.parser import text_string_to_metric_families

from fleet.admin import DeviceView
from fleet.metrics import metric_names, render

DASHBOARD = Path(__file__).resolve().parent.parent / "docs" / "grafana-fleet-dashboard.json"
# what issue 29 asks an admin to see, by the metric that carries it
ASKED_FOR = {"online": "edge_avatar_device_online", "versions": "edge_avatar_device_version_info",
             "fps": "edge_avatar_device_fps", "answers": "edge_avatar_device_answers_total",
             "barge-ins": "edge_avatar_device_barge_ins_total", "errors": "edge_avatar_device_errors_total",
             "temperature": "edge_avatar_device_temperature_celsius",
             "install states": "edge_avatar_device_install_state"}


def _samples(text: str) -> dict:
    """{(sample name, sorted labels): value} and {family name: type}, as Prometheus's own parser reads them."""
    values, types = {}, {}
    for fam in text_string_to_metric_families(text):
        types[fam.name] = fam.type
        for s in fam.samples:
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return values, types


def _kiosk(device="k1", online=True, site="", versions=None, installs=None, telemetry=None, last_seen=90.0):
    return DeviceView(device, status={"online": online, "site": site}, last_seen=last_seen,
                      reported={"versions": versions or {}, "installs": installs or {}, "alerts": []},
                      telemetry=telemetry or {})


def test_metrics_text_leaves_out_what_is_not_a_number_and_says_so():
    view = DeviceView("k1", status={"online": True, "site": 'Hall "B"\nEast'}, last_seen=90.0,
                      telemetry={"health": {"temps_c": {"cpu": 61.5, "gpu": "hot"}, "load1": True}, "fps": 30})
    text = render({"k1": view}, now=100.0)
    assert 'edge_avatar_device_online{device="k1",site="Hall \\"B\\"\\nEast"} 1' in text
    assert 'edge_avatar_device_temperature_celsius{device="k1",sensor="cpu"} 61.5' in text
    assert 'edge_avatar_device_last_seen_age_seconds{device="k1"} 10' in text
    assert 'edge_avatar_metric_values_skipped{field="temps_c"} 1' in text
    assert 'edge_avatar_metric_values_skipped{field="health.load1"} 1' in text
    assert "# TYPE edge_avatar_device_fps gauge" in text and text.endswith("\n")
    values, _ = _samples(text)                    # the escaped site reads back as it was
    assert values[("edge_avatar_device_online", (("device", "k1"), ("site", 'Hall "B"\nEast')))] == 1


def test_versions_install_states_answers_and_barge_ins_read_back_by_prometheus_own_parser():
    views = {
        "k1": _kiosk(versions={"content": "2.1.0", "runtime": '0.4.0+"local"'},
                     installs={"content": {"state": "committed", "bundle_id": "ab"},
                               "runtime": {"state": "rejected", "reason": "health-check-failed"}},
                     telemetry={"fps": 59.5, "interactions": 40, "barge_ins": 3, "errors": {"count": 2}}),
        "k2": _kiosk("k2", online=False, versions={"content": "2.0.0"},
                     installs={"content": {"state": "downloading"}, "voice": {"state": "exploded"}, "panel": "junk"}),
    }
    values, types = _samples(render(views, now=100.0))
    assert values[("edge_avatar_device_version_info", (("device", "k1"), ("kind", "content"), ("version", "2.1.0")))] == 1
    assert values[("edge_avatar_device_version_info",
                   (("device", "k1"), ("kind", "runtime"), ("version", '0.4.0+"local"')))] == 1
    assert values[("edge_avatar_device_version_info", (("device", "k2"), ("kind", "content"), ("version", "2.0.0")))] == 1
    assert values[("edge_avatar_device_install_state", (("device", "k1"), ("kind", "runtime"), ("state", "rejected")))] == 1
    assert values[("edge_avatar_device_install_state", (("device", "k2"), ("kind", "content"),
                                                        ("state", "downloading")))] == 1
    assert not any(k[0] == "edge_avatar_device_install_state" and ("kind", "voice") in k[1] for k in values)
    assert values[("edge_avatar_metric_values_skipped", (("field", "installs.state"),))] == 2   # "exploded", "junk"
    assert values[("edge_avatar_device_answers_total", (("device", "k1"),))] == 40
    assert values[("edge_avatar_device_barge_ins_total", (("device", "k1"),))] == 3
    assert values[("edge_avatar_device_errors_total", (("device", "k1"),))] == 2
    assert values[("edge_avatar_device_online", (("device", "k2"), ("site", "")))] == 0
    assert types["edge_avatar_device_answers"] == types["edge_avatar_device_barge_ins"] == "counter"
    assert types["edge_avatar_device_version_info"] == types["edge_avatar_device_install_state"] == "gauge"


def test_names_follow_prometheus_conventions():
    text = render({"k1": _kiosk(telemetry={"fps": 1})}, now=100.0)
    declared = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    assert declared and set(declared) == metric_names()
    for name, kind in declared.items():
        assert re.fullmatch(r"edge_avatar_[a-z0-9_]+", name), name
        assert (kind == "counter") == name.endswith("_total"), f"{name}: {kind}"   # counters, and only they
        assert not name.endswith(("_count", "_sum", "_bucket")), name             # reserved suffixes


def test_the_kiosks_telemetry_carries_its_barge_ins_to_the_metrics(tmp_path):
    """What the embedded agent publishes (KioskControl.telemetry) becomes the counters an admin scrapes."""
    from runtime.composition.fleet_link import KioskControl
    from runtime.ops.event_recorder import EventKind, EventRecorder
    run = SimpleNamespace(turns=[], greetings=[], barge_ins=[object()] * 2)
    kiosk = SimpleNamespace(events=EventRecorder(), run_state=run, view=SimpleNamespace(frames_drawn=100),
                            speech=SimpleNamespace(volume=1.0),
                            responder=SimpleNamespace(timezone=None, pack=SimpleNamespace(venue_id="museum")))
    control = KioskControl(kiosk, tmp_path)
    try:
        for _ in range(7):
            run.turns.append({})
            kiosk.events.record(EventKind.TURN, {})
        record = control.telemetry()
    finally:
        logging.getLogger().removeHandler(control.errors)
    assert (record["interactions"], record["barge_ins"], record["answers_today"]) == (7, 2, 7)
    values, types = _samples(render({"k1": _kiosk(telemetry=record)}, now=100.0))
    assert values[("edge_avatar_device_barge_ins_total", (("device", "k1"),))] == 2
    assert values[("edge_avatar_device_answers_total", (("device", "k1"),))] == 7
    assert values[("edge_avatar_device_answers_today", (("device", "k1"),))] == 7
    assert types["edge_avatar_device_answers_today"] == "gauge"            # it falls at midnight: not a counter


def test_the_example_dashboard_queries_only_exported_metrics_and_shows_all_asked_for():
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert exprs and all(isinstance(e, str) and e.strip() for e in exprs)
    queried = {m for e in exprs for m in re.findall(r"\b(edge_avatar_[a-z0-9_]+)", e)}
    assert queried - metric_names() == set(), "the dashboard queries metrics fleet/metrics.py does not export"
    assert {what for what, name in ASKED_FOR.items() if name not in queried} == set()
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    assert dashboard["__inputs"][0]["name"] == "DS_PROMETHEUS"        # import asks which Prometheus
