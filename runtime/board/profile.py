"""Board profiles: per-board budgets for every hardware check, and which board this is."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

import yaml

from runtime.shared.board import DEVICE_TREE_MODEL, TEGRA_RELEASE, board_model

BOARDS_DIR = Path(__file__).parent / "boards"
ASR_ENGINES = ("pocketsphinx", "whisper-base", "whisper-small", "vosk")   # what `runtime: asr:` may name


@dataclass(frozen=True)
class BoardProfile:
    name: str
    description: str
    budgets: dict[str, float]
    runtime: dict[str, object] = None  # type: ignore[assignment]  # kiosk defaults for this board

    def __post_init__(self):
        if self.runtime is None:
            object.__setattr__(self, "runtime", {})

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
    runtime = data.get("runtime", {})
    if not isinstance(runtime, dict) or runtime.get("voice_precision", "float") not in ("float", "int8") \
            or not isinstance(runtime.get("inference_threads", 1), int):
        raise ValueError(f"{path}: runtime: expected {{voice_precision: float|int8, inference_threads: N}}")
    if runtime.get("asr", "pocketsphinx") not in ASR_ENGINES:
        raise ValueError(f"{path}: runtime.asr: expected one of {', '.join(ASR_ENGINES)}, got {runtime['asr']!r}")
    if not isinstance(runtime.get("asr_threads", 2), int) or not 1 <= runtime.get("asr_threads", 2) <= 16:
        raise ValueError(f"{path}: runtime.asr_threads: expected a number of threads, 1 to 16")
    if not isinstance(runtime.get("tts_threads", 1), int) or not 1 <= runtime.get("tts_threads", 1) <= 16:
        raise ValueError(f"{path}: runtime.tts_threads: expected a number of threads, 1 to 16")
    return BoardProfile(str(data.get("board", name)), str(data.get("description", "")), budgets, runtime)


def detect_board(device_tree_model: Path = DEVICE_TREE_MODEL, tegra_release: Path = TEGRA_RELEASE) -> str:
    model = board_model(device_tree_model, tegra_release)
    if "Raspberry Pi 4" in model:
        return "rpi4"
    if "Raspberry Pi" in model:
        return "rpi5"
    if "Jetson" in model or "Orin" in model:
        return "jetson-orin-nano"
    return "generic-x86" if platform.machine() in ("x86_64", "AMD64") else "rpi5"
