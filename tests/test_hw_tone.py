"""The tone-loopback analysis used by hw_tests, on synthetic recordings."""

import numpy as np
import pytest

from hw_tests.tone import clipped_fraction, delay_seconds, dominant_frequency, tone
from runtime.board.profile import detect_board, list_boards, load_board


def test_frequency_delay_and_clipping_of_a_recorded_tone():
    rate = 48000
    played = tone(1000, 0.5, rate)
    rng = np.random.default_rng(1)
    recorded = np.concatenate([np.zeros(int(0.137 * rate)), 0.3 * played, np.zeros(rate // 4)])
    recorded += 0.01 * rng.standard_normal(len(recorded))
    assert dominant_frequency(recorded, rate) == pytest.approx(1000, abs=3)
    assert delay_seconds(played, recorded, rate) == pytest.approx(0.137, abs=0.001)
    assert clipped_fraction(recorded) == 0.0
    assert clipped_fraction(np.clip(10 * recorded, -1, 1)) > 0.1


def test_board_profiles_load_and_detect(tmp_path):
    assert {"rpi4", "rpi5", "jetson-orin-nano", "generic-x86"} <= set(list_boards())
    assert load_board("rpi4").budget("render_fps_min") == 30
    model = tmp_path / "model"
    model.write_bytes(b"Raspberry Pi 4 Model B Rev 1.4\x00")
    assert detect_board(model, tmp_path / "x") == "rpi4"
    model.write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\x00")
    assert detect_board(model, tmp_path / "x") == "rpi5"
    with pytest.raises(ValueError, match="unknown board"):
        load_board("c64")
