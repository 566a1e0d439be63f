"""Hardware checks run on a kiosk board. Without the hardware a check skips, saying why."""

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def pytest_configure(config):
    config.addinivalue_line("markers", "audio: microphone and speaker checks")
    config.addinivalue_line("markers", "compute: models and voices on this board")
    config.addinivalue_line("markers", "panel: the panel controller link (simulated when none is attached)")
