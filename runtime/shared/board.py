"""What board this is and how it is doing: read from the files the boards ship (no I/O at import)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DEVICE_TREE_MODEL = Path("/proc/device-tree/model")
TEGRA_RELEASE = Path("/etc/nv_tegra_release")


def board_model(device_tree_model: Path = DEVICE_TREE_MODEL, tegra_release: Path = TEGRA_RELEASE) -> str:
    """The board's model string ("Raspberry Pi 5 Model B Rev 1.0", "NVIDIA Jetson ..."), or ""."""
    try:
        model = device_tree_model.read_bytes().decode("utf-8", "replace").rstrip("\x00")
    except OSError:
        model = ""
    if not model and tegra_release.exists():
        model = "NVIDIA Jetson"
    return model


def board_kind(device_tree_model: Path = DEVICE_TREE_MODEL, tegra_release: Path = TEGRA_RELEASE) -> str:
    """'raspberry-pi', 'jetson' or 'other', from the files the boards ship."""
    model = board_model(device_tree_model, tegra_release)
    if "Raspberry Pi" in model:
        return "raspberry-pi"
    if "Jetson" in model or tegra_release.exists():
        return "jetson"
    return "other"


def board_health() -> dict:
    """Temperatures (°C), load, memory and disk: what an admin needs to spot a sick board."""
    temps = {}
    for zone in sorted(Path("/sys/class/thermal").glob("thermal_zone*")):
        try:
            temps[(zone / "type").read_text().strip()] = int((zone / "temp").read_text()) / 1000
        except (OSError, ValueError):
            continue
    disk = shutil.disk_usage("/")
    health = {"temps_c": temps, "load1": round(os.getloadavg()[0], 2), "disk_free_mb": disk.free >> 20}
    try:
        meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        health["mem_available_mb"] = int(meminfo["MemAvailable"].split()[0]) >> 10
    except (OSError, KeyError, ValueError):
        pass
    return health
