"""Board profiles: per-board budgets for every hardware check, and which board this is."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

import yaml

BOARDS_DIR = Path(__file__).parent / "boards"


@dataclass(frozen=True)
class BoardProfile:
    name: str
    description: str
    budgets: dict[str, float]

    def budget(self, key: str) -> float:
        if key not in self.budgets:
            raise KeyError(f"board profile {self.name}: no budget {key!r}")
        return float(self.budgets[key])


def list_boards() -> list[str]:
    return sorted(p.stem for p in BOARDS_DIR.glob("*.yaml"))


def load_board(name: str) -> BoardProfile:
    path = BOARDS_DIR / f"{name}.yaml"
    if not path.exists():
        raise ValueError(f"--board {name}: unknown board; known: {', '.join(list_boards())}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    budgets = data.get("budgets") if isinstance(data, dict) else None
    if not isinstance(budgets, dict) or not all(isinstance(v, (int, float)) for v in budgets.values()):
        raise ValueError(f"{path}: budgets: expected a mapping of names to numbers")
    return BoardProfile(str(data.get("board", name)), str(data.get("description", "")), budgets)


def detect_board(device_tree_model: Path = Path("/proc/device-tree/model"),
                 tegra_release: Path = Path("/etc/nv_tegra_release")) -> str:
    try:
        model = device_tree_model.read_bytes().decode("utf-8", "replace")
    except OSError:
        model = ""
    if "Raspberry Pi 5" in model:
        return "rpi5"
    if "Raspberry Pi 4" in model:
        return "rpi4"
    if tegra_release.exists() or "Orin" in model:
        return "jetson-orin-nano"
    if platform.machine() in ("x86_64", "AMD64"):
        return "generic-x86"
    return "rpi5" if "Raspberry Pi" in model else "generic-x86"
