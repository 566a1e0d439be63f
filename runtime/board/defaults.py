"""The kiosk's defaults for the board it runs on (voice precision, inference threads, recogniser, voice threads).

Read from the `runtime:` section of the same board profiles the hardware tests use
(`runtime/board/boards/*.yaml`); an explicit setting always wins over the board's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

_LOGGER = logging.getLogger(__name__)
WHISPER_MIN_MEMORY_MB = 3000   # below this (a 2 GB Pi 4) Whisper and the rest of the kiosk do not fit: pocketsphinx
MEMINFO = Path("/proc/meminfo")


@dataclass(frozen=True)
class BoardDefaults:
    board: str
    voice_precision: str = "float"
    inference_threads: int = 1
    asr: str = "pocketsphinx"     # the recogniser when `run --asr auto`
    asr_threads: int = 2          # CTranslate2 threads for a Whisper decode
    tts_threads: int = 1          # onnxruntime threads for a Kokoro voice (Piper keeps onnxruntime's default)


def board_defaults(meminfo: Path = MEMINFO) -> BoardDefaults:
    from .profile import detect_board, load_board
    name = detect_board()
    try:
        runtime = load_board(name).runtime
    except ValueError as err:
        _LOGGER.error("board profile %s: %s; using float voice, 1 inference thread, pocketsphinx", name, err)
        return BoardDefaults(name)
    return BoardDefaults(name, str(runtime.get("voice_precision", "float")),
                         int(runtime.get("inference_threads", 1)),
                         board_asr(str(runtime.get("asr", "pocketsphinx")), memory_mb(meminfo)),
                         int(runtime.get("asr_threads", 2)), int(runtime.get("tts_threads", 1)))


def board_asr(profile_asr: str, memory: int | None) -> str:
    """The board profile's recogniser, unless it is Whisper and the board has too little memory."""
    if profile_asr.startswith("whisper") and memory is not None and memory < WHISPER_MIN_MEMORY_MB:
        _LOGGER.info("board has %d MB of memory (< %d): pocketsphinx instead of %s", memory,
                     WHISPER_MIN_MEMORY_MB, profile_asr)
        return "pocketsphinx"
    return profile_asr


def memory_mb(meminfo: Path = MEMINFO) -> int | None:
    """MemTotal in MB, or None when it cannot be read."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def resolve_asr(cfg_asr: str, defaults: BoardDefaults) -> str:
    """The recogniser setting, or the board's when the setting is auto."""
    return defaults.asr if cfg_asr == "auto" else cfg_asr


def resolve(cfg_precision: str, cfg_threads: int, defaults: BoardDefaults) -> tuple[str, int]:
    """(voice precision, inference threads): the setting, or the board's when the setting is auto/0."""
    return (defaults.voice_precision if cfg_precision == "auto" else cfg_precision,
            defaults.inference_threads if cfg_threads == 0 else cfg_threads)
