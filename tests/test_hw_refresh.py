"""The hw_tests refresh-rate probe reads the current mode from xrandr's report."""

from hw_tests.refresh_rate import parse_xrandr

XRANDR = """Screen 0: minimum 320 x 200, current 1080 x 1920, maximum 8192 x 8192
HDMI-1 connected primary 1080x1920+0+0 right (normal left inverted right x axis y axis) 697mm x 392mm
   1920x1080     60.00 +  50.00    59.94
   1920x1080i    60.00*   50.00
   1280x720      60.00    50.00
HDMI-2 disconnected (normal left inverted right x axis y axis)
"""


def test_parses_the_current_mode():
    assert parse_xrandr(XRANDR) == (1920, 1080, 60.0)


def test_no_current_mode_is_none():
    assert parse_xrandr("Screen 0: minimum 8 x 8\nVirtual-1 disconnected\n") is None
    assert parse_xrandr("   1920x1080     75.00 +  60.00*\n") == (1920, 1080, 60.0)
