"""Panel controller link: the real controller at $EDGE_AVATAR_PANEL_PORT, else the simulator on a pty."""

from __future__ import annotations

import os
import statistics
import time

import pytest

from firmware_bridge.client import PanelBridge
from firmware_bridge.messages import GetStatus, GetVersion, SetBrightness, SetMode

RTT_BUDGET_MS = 20.0


@pytest.fixture(scope="module")
def panel():
    port = os.environ.get("EDGE_AVATAR_PANEL_PORT")
    sim = None
    if not port:
        from firmware_bridge.simulator import PtySimulator
        sim = PtySimulator(baudrate=115200)   # no controller attached: check the suite against the simulator
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
def test_the_controller_answers_with_its_version(panel):
    version = panel.call(GetVersion())
    assert version.major >= 1 and version.model


@pytest.mark.panel
def test_round_trip_within_budget(panel):
    rtts = []
    for _ in range(50):
        t0 = time.perf_counter()
        panel.call(GetStatus())
        rtts.append((time.perf_counter() - t0) * 1000)
    p95 = statistics.quantiles(rtts, n=20)[-1]
    assert p95 <= RTT_BUDGET_MS, f"panel round trip p95 {p95:.1f} ms > {RTT_BUDGET_MS} ms"


@pytest.mark.panel
def test_brightness_and_mode_read_back(panel):
    before = panel.call(GetStatus())
    try:
        panel.call(SetBrightness(37))
        panel.call(SetMode(1 - before.mode))
        after = panel.call(GetStatus())
        assert (after.brightness, after.mode) == (37, 1 - before.mode)
    finally:
        panel.call(SetBrightness(before.brightness))
        panel.call(SetMode(before.mode))
