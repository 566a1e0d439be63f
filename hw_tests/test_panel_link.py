"""Panel controller link: the real controller at $EDGE_AVATAR_PANEL_PORT, else the simulator on a pty."""

from __future__ import annotations

import os
import statistics
import time

import pytest

from firmware_bridge.client import PanelBridge
from firmware_bridge.messages import GetStatus, GetVersion, SetBrightness, SetFanSpeed, SetMode


@pytest.fixture(scope="module")
def panel(faults):
    port = os.environ.get("EDGE_AVATAR_PANEL_PORT")
    sim = None
    if not port:
        from firmware_bridge.controller import Faults
        from firmware_bridge.simulator import PtySimulator
        # No controller attached: check the suite against the simulator at the UART's speed.
        delay = 0.05 if "slow-controller" in faults else 0.0
        sim = PtySimulator(Faults(delay_s=delay), baudrate=115200)
        port = sim.path
    bridge = PanelBridge(port)
    if not bridge.connected.wait(5):
        bridge.close()
        pytest.fail(f"panel controller on {port}: port did not open")
    yield bridge
    bridge.close()
    if sim:
        sim.close()


@pytest.mark.panel
def test_the_controller_answers_with_its_version(panel, measure):
    version = panel.call(GetVersion())
    assert version.major >= 1 and version.model
    measure("controller firmware", version.major * 10000 + version.minor * 100 + version.patch, "version")


@pytest.mark.panel
def test_round_trip_within_budget(panel, measure):
    rtts = []
    for _ in range(30):
        t0 = time.perf_counter()
        panel.call(GetStatus())
        rtts.append((time.perf_counter() - t0) * 1000)
    measure("panel round trip p95", statistics.quantiles(rtts, n=20)[-1], "ms", "panel_rtt_p95_ms_max")


@pytest.mark.panel
def test_brightness_mode_and_fan_read_back(panel):
    before = panel.call(GetStatus())
    try:
        panel.call(SetBrightness(37))
        panel.call(SetMode(1 - before.mode))
        panel.call(SetFanSpeed(900))
        after = panel.call(GetStatus())
        assert (after.brightness, after.mode, after.fan_rpm) == (37, 1 - before.mode, 900)
    finally:
        panel.call(SetBrightness(before.brightness))
        panel.call(SetMode(before.mode))
        panel.call(SetFanSpeed(before.fan_rpm))


@pytest.mark.panel
def test_presence_sensor_reports_a_visitor(panel, ask_tester):
    from firmware_bridge.messages import PresenceEvent
    if not os.environ.get("EDGE_AVATAR_PANEL_PORT"):
        pytest.skip("simulated controller: presence is covered by the bridge's own tests")
    seen = []
    panel.on_event = lambda msg: seen.append(msg) if isinstance(msg, PresenceEvent) else None
    assert ask_tester("Stand in front of the kiosk, then answer: did you stand there for 3 seconds?")
    assert any(e.present for e in seen), "the presence sensor did not report the tester"
