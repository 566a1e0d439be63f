"""Board inputs and health sources, detected and parsed without the hardware."""

from __future__ import annotations

import pytest

from firmware_bridge.board_inputs import SimulatedInputs, board_kind, open_board_inputs
from firmware_bridge.health import HealthProbe, parse_tegrastats, parse_throttled, read_thermal_zones


def test_throttling_bits_now_and_since_boot():
    state = parse_throttled("throttled=0x50005\n")
    assert state.now == ("under-voltage", "throttled") and state.active
    assert state.since_boot == ("under-voltage", "throttled")
    assert not parse_throttled("throttled=0x0").active
    with pytest.raises(ValueError, match="not vcgencmd"):
        parse_throttled("error=1")


def test_tegrastats_temperatures():
    line = ("RAM 2300/7620MB (lfb 2x4MB) CPU [10%@1190,5%@1190] EMC_FREQ 0% GR3D_FREQ 0% "
            "CPU@45.5C SOC2@43.968C SOC0@44.5C GPU@43C tj@45.5C")
    temps = parse_tegrastats(line)
    assert temps["cpu"] == 45.5 and temps["gpu"] == 43.0 and temps["tj"] == 45.5


def test_thermal_zones_from_sysfs(tmp_path):
    for i, (kind, milli) in enumerate([("cpu-thermal", "51234"), ("gpu-thermal", "47000")]):
        zone = tmp_path / f"thermal_zone{i}"
        zone.mkdir()
        (zone / "type").write_text(kind + "\n")
        (zone / "temp").write_text(milli + "\n")
    (tmp_path / "thermal_zone2").mkdir()   # unreadable zone: left out
    assert read_thermal_zones(tmp_path) == {"cpu-thermal": 51.234, "gpu-thermal": 47.0}
    sample = HealthProbe(tmp_path).sample()
    assert sample.hottest_c == 51.234 and "sysfs" in sample.sources


def test_board_detection_and_simulated_inputs(tmp_path):
    model = tmp_path / "model"
    model.write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\x00")
    assert board_kind(model, tmp_path / "none") == "raspberry-pi"
    model.write_bytes(b"NVIDIA Jetson Orin Nano Developer Kit\x00")
    assert board_kind(model, tmp_path / "none") == "jetson"
    assert board_kind(tmp_path / "absent", tmp_path / "none") == "other"
    inputs = open_board_inputs(kind="other")
    assert isinstance(inputs, SimulatedInputs)
    seen = []
    inputs.on_presence(seen.append)
    inputs.on_button(lambda: seen.append("button"))
    inputs.set_presence(True)
    inputs.press()
    assert seen == [True, "button"]


def test_a_pi_without_gpiozero_falls_back_to_simulated_and_says_so(caplog, monkeypatch):
    import logging
    import sys
    monkeypatch.setitem(sys.modules, "gpiozero", None)   # import fails as on an image without it
    with caplog.at_level(logging.INFO, logger="firmware_bridge.board_inputs"):
        inputs = open_board_inputs(kind="raspberry-pi")
    assert inputs.name == "simulated"
    assert "board inputs on raspberry-pi unavailable" in caplog.text
    assert "board inputs: simulated" in caplog.text
