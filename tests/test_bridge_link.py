"""The host bridge against the controller simulator on a real pty: commands, faults, unplugging."""

from __future__ import annotations

import time

import pytest

from firmware_bridge.client import BridgeError, PanelBridge
from firmware_bridge.controller import Faults
from firmware_bridge.link import LinkConfig
from firmware_bridge.messages import (
    Ack,
    GetStatus,
    GetTemperature,
    GetVersion,
    PresenceEvent,
    SetBrightness,
    SetFactoryTest,
    SetFanSpeed,
    SetMode,
    SetPower,
    Status,
    Temperature,
    Version,
)
from firmware_bridge.simulator import PtySimulator


@pytest.fixture()
def link(request, tmp_path):
    faults = getattr(request, "param", Faults())
    sim = PtySimulator(faults, link=tmp_path / "ttyPANEL")
    events = []
    bridge = PanelBridge(sim.path, config=LinkConfig(timeout_s=0.15, retries=5), on_event=events.append)
    yield sim, bridge, events
    bridge.close()
    sim.close()


def wait_for(predicate, seconds=15.0):
    """Until `predicate` (events and answers cross a pty and the bridge's reader thread); a bound
    generous for a loaded machine: it only costs time when the test fails anyway."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_every_command_reaches_the_controller(link):
    sim, bridge, _ = link
    assert bridge.call(GetVersion()) == Version(1, 0, 3, "edge-avatar sim")
    assert bridge.call(SetBrightness(35)) == Ack()
    assert bridge.call(SetMode(1)) == Ack()
    assert bridge.call(SetFanSpeed(1200)) == Ack()
    assert bridge.call(SetPower(0)) == Ack()
    assert bridge.call(SetFactoryTest(1)) == Ack()
    assert bridge.call(GetStatus()) == Status(35, 1, 1200, 0, 1)
    assert isinstance(bridge.call(GetTemperature()), Temperature)
    with pytest.raises(BridgeError, match="SetFanSpeed: nack:OUT_OF_RANGE"):
        bridge.call(SetFanSpeed(9000))


def test_unsolicited_events_reach_the_host(link):
    from firmware_bridge.messages import ButtonEvent, FanEvent, PanelFault, TemperatureEvent
    sim, bridge, events = link
    assert bridge.connected.wait(5)      # events sent before the host opens the port are lost, as on a wire
    sent = [PresenceEvent(1, 850), PresenceEvent(0, 0), ButtonEvent(1, 1), TemperatureEvent(5230),
            FanEvent(1180), PanelFault(2, "fan motor stalled")]
    for event in sent[2:]:
        sim.send_event(event)
    sim.send_presence(True, 850)
    sim.send_presence(False)
    assert wait_for(lambda: len(events) == len(sent))
    assert sorted(map(repr, events)) == sorted(map(repr, sent))


@pytest.mark.parametrize("link", [Faults(drop=0.3, seed=3)], indirect=True)
def test_dropped_answers_are_retried_and_nothing_runs_twice(link):
    sim, bridge, _ = link
    for percent in range(0, 100, 5):
        assert bridge.call(SetBrightness(percent), timeout=5) == Ack()
    assert bridge.stats.retransmits > 0
    assert sim.model.executed == 20
    assert bridge.call(GetStatus(), timeout=5).brightness == 95


@pytest.mark.parametrize("link", [Faults(corrupt=0.3, seed=5)], indirect=True)
def test_corrupted_frames_are_counted_and_dropped(link):
    sim, bridge, _ = link
    for percent in range(10):
        bridge.call(SetBrightness(percent), timeout=5)
    assert bridge.frames_bad > 0
    assert bridge.call(GetStatus(), timeout=5).brightness == 9


@pytest.mark.parametrize("link", [Faults(duplicate=1.0)], indirect=True)
def test_duplicated_answers_and_events_arrive_once(link):
    sim, bridge, events = link
    bridge.call(SetBrightness(20))
    sim.send_presence(True, 650)
    assert wait_for(lambda: events)
    time.sleep(0.2)
    assert events == [PresenceEvent(1, 650)]
    assert wait_for(lambda: bridge.stats.duplicates >= 2)


@pytest.mark.parametrize("link", [Faults(delay_s=0.05)], indirect=True)
def test_a_slow_controller_is_waited_for(link):
    sim, bridge, _ = link
    start = time.monotonic()
    bridge.call(GetVersion())
    assert time.monotonic() - start >= 0.05


@pytest.mark.parametrize("link", [Faults(stuck_presence=True)], indirect=True)
def test_a_stuck_presence_sensor_keeps_saying_present(link):
    sim, bridge, events = link
    assert bridge.connected.wait(5)
    sim.send_presence(False, 0)
    assert wait_for(lambda: events) and events[0].present == 1


def test_a_controller_reboot_mid_session_resets_it_and_the_link_goes_on(link):
    sim, bridge, events = link
    bridge.call(SetBrightness(10))
    sim.send_presence(True, 500)                         # event seq 1 before the reboot
    assert wait_for(lambda: len(events) == 1)
    sim.reboot()
    assert bridge.call(GetStatus()).brightness == 100   # back to its power-on state
    assert sim.model.boots == 2
    sim.send_presence(True, 600)                         # seq 2 after the boot event (seq 1)
    sim.reboot()
    sim.send_presence(False, 0)                          # seq 2 again: not mistaken for a duplicate
    assert wait_for(lambda: len(events) == 5)
    assert [type(e).__name__ for e in events] == ["PresenceEvent", "BootEvent", "PresenceEvent",
                                                  "BootEvent", "PresenceEvent"]
    assert events[-1] == PresenceEvent(0, 0)


def test_unplugging_and_plugging_back_reconnects_by_itself(link):
    sim, bridge, _ = link
    assert bridge.call(GetVersion()).major == 1
    sim.unplug()
    assert wait_for(lambda: not bridge.connected.is_set())
    with pytest.raises(BridgeError):
        bridge.call(GetVersion(), timeout=0.3)
    sim.plug()
    assert wait_for(bridge.connected.is_set, seconds=8)
    assert bridge.call(GetVersion(), timeout=3).major == 1
    assert bridge.reconnects >= 1


def test_the_simulate_and_status_commands_talk_to_each_other(tmp_path):
    import subprocess
    import sys
    link = tmp_path / "ttyPANEL"
    sim = subprocess.Popen([sys.executable, "-m", "runtime", "bridge", "simulate", "--link", str(link)],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert sim.stdout.readline().strip() == str(link)
        done = subprocess.run([sys.executable, "-m", "runtime", "bridge", "status", "--port", str(link)],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        assert "firmware 1.0.3" in done.stdout and "brightness 100 %" in done.stdout
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    assert not link.exists()


def test_loop_url_is_a_transport_too():
    """pyserial's loop:// echoes the host's own request back: the link sees it, counts it, answers nothing."""
    bridge = PanelBridge("loop://", config=LinkConfig(timeout_s=0.05, retries=1))
    try:
        with pytest.raises(BridgeError, match="GetVersion: timeout"):
            bridge.call(GetVersion(), timeout=2)
        assert bridge.stats.unexpected >= 1 and bridge.stats.retransmits == 1
    finally:
        bridge.close()


def test_the_kiosk_side_keeps_going_while_the_controller_is_unplugged(link):
    import datetime as dt

    from runtime.composition.panel_session import PanelSession
    from runtime.surroundings.presence import PresenceConfig, PresencePolicy
    sim, bridge, _ = link
    panel = PanelSession(PresencePolicy(PresenceConfig(schedule=(("00:00", 80),), dim_after_s=10)),
                         lambda: dt.time(12, 0), bridge=bridge)
    sim.unplug()
    assert wait_for(lambda: not bridge.connected.is_set())
    started = time.monotonic()
    actions = [a for t in range(0, 30) for a in panel.poll(float(t))]
    assert time.monotonic() - started < 1.5                  # never waits for the missing port (a call waits 2 s)
    assert [a.value for a in actions if a.kind.value == "brightness"] == [80, 20]
    sim.plug()
    assert wait_for(bridge.connected.is_set, seconds=8)
    # Reconnected: the panel is set up again. The kiosk polls every chunk; so does this wait, so a
    # second reconnect (the new pty can drop the first open) is re-synced as in the product.
    assert wait_for(lambda: panel.poll(31.0) is not None and sim.model.state.brightness == 20)
    panel.policy.on_presence(True, 32.0)
    panel.poll(32.0)                                         # a visitor wakes it
    assert wait_for(lambda: sim.model.state.brightness == 80)
    sim.reboot()                                             # power-on defaults: full brightness, 2D
    assert wait_for(lambda: panel._boots_seen == 1)
    panel.poll(33.0)
    assert wait_for(lambda: (sim.model.state.brightness, sim.model.state.mode) == (80, 1))
