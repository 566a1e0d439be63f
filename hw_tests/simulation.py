"""Stand-ins for the hardware in `--simulate` mode: a PulseAudio null-sink loopback.

Whatever the board plays into the `loopback` sink comes back on its monitor,
the default capture source: a speaker-to-microphone loopback with no sound card.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


class PulseLoopback:
    def __init__(self, muted_mic: bool = False):
        if shutil.which("pulseaudio") is None:
            raise RuntimeError("--simulate needs pulseaudio and pulseaudio-utils (apt)")
        self.dir = Path(tempfile.mkdtemp(prefix="edge-avatar-pulse-"))
        self.env = {**os.environ, "XDG_RUNTIME_DIR": str(self.dir), "PULSE_RUNTIME_PATH": str(self.dir / "pulse"),
                    "HOME": str(self.dir)}
        subprocess.run(["pulseaudio", "-D", "-n", "--exit-idle-time=-1", "--load=module-native-protocol-unix",
                        "--load=module-null-sink sink_name=loopback"], env=self.env, check=True,
                       capture_output=True, timeout=30)
        for _ in range(50):
            if subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        self._pactl("set-default-sink", "loopback")
        self._pactl("set-default-source", "loopback.monitor")
        if muted_mic:
            self._pactl("set-source-mute", "loopback.monitor", "1")
        self.server = f"unix:{self.dir / 'pulse' / 'native'}"

    def _pactl(self, *args: str) -> None:
        subprocess.run(["pactl", *args], env=self.env, check=True, capture_output=True, timeout=10)

    def activate(self) -> None:
        """Point this process's PortAudio (through ALSA's pulse plugin) at the loopback server."""
        os.environ["PULSE_SERVER"] = self.server

    def close(self) -> None:
        os.environ.pop("PULSE_SERVER", None)
        subprocess.run(["pulseaudio", "--kill"], env=self.env, capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
