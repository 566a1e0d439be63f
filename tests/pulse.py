"""A private PulseAudio daemon with two null sinks, for live tests and the live soak.

The visitor's voice is played into `visitor`, whose monitor is the kiosk's default microphone;
the kiosk's speaker is `kiosk_out`, whose monitor can be recorded. No sound card needed."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path


def pulse_env(folder: Path) -> dict[str, str]:
    runtime_dir = Path(folder) / "pulse"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    return {**os.environ, "XDG_RUNTIME_DIR": str(runtime_dir), "PULSE_RUNTIME_PATH": str(runtime_dir / "pulse"),
            "HOME": str(folder)}


def start_pulse(env) -> None:
    # `visitor` first: its monitor is the default source from the first moment, so a kiosk that
    # reopens its microphone while the daemon is still being set up gets the visitor, not the speaker
    subprocess.run(["pulseaudio", "-D", "-n", "--exit-idle-time=-1", "--daemonize=yes",
                    "--load=module-native-protocol-unix",
                    "--load=module-null-sink sink_name=visitor",
                    "--load=module-null-sink sink_name=kiosk_out"], env=env, check=True,
                   capture_output=True, timeout=30)
    for _ in range(50):
        if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    subprocess.run(["pactl", "set-default-sink", "kiosk_out"], env=env, check=True)
    subprocess.run(["pactl", "set-default-source", "visitor.monitor"], env=env, check=True)


def stop_pulse(env) -> None:
    subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True)
