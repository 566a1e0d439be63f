"""The kiosk's defaults for the board it runs on (voice precision, inference threads).

Read from the `runtime:` section of the same board profiles the hardware tests use
(`hw_tests/boards/*.yaml`); an explicit setting always wins over the board's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class BoardDefaults:
    board: str
    voice_precision: str = "float"
    inference_threads: int = 1


def board_defaults() -> BoardDefaults:
    from .profile import detect_board, load_board
    name = detect_board()
    try:
        runtime = load_board(name).runtime
    except ValueError as err:
        _LOGGER.error("board profile %s: %s; using float voice, 1 inference thread", name, err)
        return BoardDefaults(name)
    return BoardDefaults(name, str(runtime.get("voice_precision", "float")),
                         int(runtime.get("inference_threads", 1)))


def resolve(cfg_precision: str, cfg_threads: int, defaults: BoardDefaults) -> tuple[str, int]:
    """(voice precision, inference threads): the setting, or the board's when the setting is auto/0."""
    return (defaults.voice_precision if cfg_precision == "auto" else cfg_precision,
            defaults.inference_threads if cfg_threads == 0 else cfg_threads)
