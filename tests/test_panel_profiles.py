"""Panel profiles: every shipped one loads; the controller mode follows the format; bad files are named."""

from __future__ import annotations

import time

import pytest

from runtime.display.panel_profile import list_profiles, load_profile
from runtime.shared.errors import ConfigError


def test_every_shipped_profile_loads():
    names = list_profiles()
    assert {"portrait-1080x1920", "peppers-ghost-box", "led-fan-1024", "looking-glass-portrait",
            "looking-glass-go", "lenticular-8view-1080x1920", "depth-2d-plus-1920x1080"} <= set(names)
    modes = {name: load_profile(name).mode_3d for name in names}
    assert modes["portrait-1080x1920"] is False and modes["led-fan-1024"] is False
    assert modes["looking-glass-portrait"] is True and modes["lenticular-8view-1080x1920"] is True


def test_bad_profiles_name_file_line_and_field(tmp_path):
    bad = tmp_path / "odd.yaml"
    bad.write_text("name: odd\nresolution: [1080, 1920]\nformat: hologram\n")
    with pytest.raises(ConfigError, match=r"odd.yaml:3: format: expected one of flat, peppers-ghost"):
        load_profile(str(bad))
    bad.write_text("name: odd\nresolution: [1080]\nformat: flat\n")
    with pytest.raises(ConfigError, match=r"odd.yaml:2: resolution: expected \[width, height\]"):
        load_profile(str(bad))
    with pytest.raises(ConfigError, match="--panel nowhere: no such profile; shipped: "):
        load_profile("nowhere")


@pytest.mark.parametrize("profile, mode", [("looking-glass-portrait", 1), ("led-fan-1024", 0)])
def test_the_controller_mode_follows_the_panel_profile(profile, mode, tmp_path):
    from firmware_bridge.simulator import PtySimulator
    from runtime.composition.app import open_surroundings
    from runtime.composition.config import DEFAULT_CONTENT, KioskConfig
    from runtime.dialogue.content_pack import load_content_pack
    sim = PtySimulator()
    sim.model.state.mode = 1 - mode
    cfg = KioskConfig(input="x.wav", output="null", display="headless", panel=profile, panel_port=sim.path)
    panel, bridge = open_surroundings(cfg, load_content_pack(DEFAULT_CONTENT))
    try:
        assert bridge.connected.wait(5)
        panel.poll(0.0)
        deadline = time.monotonic() + 20      # sent fire-and-forget, taken in on the simulator's thread
        while sim.model.state.mode != mode and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sim.model.state.mode == mode
        assert panel.fps == load_profile(profile).fps_cap
    finally:
        panel.close()
        bridge.close()
        sim.close()
