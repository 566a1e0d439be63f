"""Kiosk settings from a YAML file: what an installer writes or the fleet pushes (kind `config`).

Validated once, each problem named by file, field and what was expected. Only
known keys are taken; anything that tries to switch off the AI-content label or
the spoken disclosure is refused outright (China's deep-synthesis provisions and
AI-content labelling measures): those have no off switch anywhere.

    content: /var/lib/edge-avatar/content/current
    lang: zh
    panel: looking-glass-portrait
    vad: silero
    phrase_hints: true
    asr: whisper-base        # or pocketsphinx, whisper-small, vosk, auto (the board profile's)
    log_dir: /var/lib/edge-avatar/interactions
    endpoint: {end_silence_s: 0.7, quick_end_silence_s: 0.35, hesitation_end_silence_s: 1.3}
    barge_in: {confirm_after_s: 0.5, confirm_level_dbfs: -40}    # or true / false
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from runtime.shared.errors import ConfigError
from runtime.turn_taking.barge_in import BargeInConfig
from runtime.turn_taking.endpointing import EndpointConfig

from .config import KioskConfig

# Keys that would hide that the avatar is AI-generated. Refused in any spelling.
_COMPLIANCE_KEYS = ("ai_label", "show_ai_label", "label", "hide_label", "ai_disclosure", "disclosure",
                    "spoken_disclosure", "watermark", "show_label")
_PATHS = {"content": "content_dir", "models": "models_dir", "log_dir": "log_dir", "avatar": "avatar_dir"}
_PLAIN = {"lang": str, "panel": str, "panel_backend": str, "vad": str, "phrase_hints": bool, "seed": int,
          "frame_every_s": float, "max_turns": int, "panel_port": str, "gpio": bool, "echo": str,
          "volume": float, "voice_precision": str, "inference_backend": str,
          "inference_threads": int, "camera": str, "asr": str, "answer_cache": str, "answer_cache_mb": float,
          "matcher": str}


def load_settings(path: Path, base: KioskConfig) -> KioskConfig:
    """`base` with the file's settings applied; ConfigError naming file and field otherwise."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"{path}: settings file not found") from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not a YAML settings file ({err})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of setting: value")
    problems, changes = [], {}
    for key, value in data.items():
        where = f"{path}: {key}"
        if str(key).lower() in _COMPLIANCE_KEYS:
            problems.append(f"{where}: the AI-generated label and spoken disclosure are always on and cannot "
                            "be configured (deep-synthesis / AI-content labelling rules); remove this key")
        elif key in _PATHS:
            changes[_PATHS[key]] = Path(str(value))
        elif key in _PLAIN:
            kind = _PLAIN[key]
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                problems.append(f"{where}: expected {kind.__name__}, got {value!r}")
            else:
                changes[key] = value
        elif key == "endpoint":
            try:
                changes["endpoint"] = _section(value, EndpointConfig, "endpoint")
            except (ConfigError, TypeError, ValueError) as err:
                problems.append(f"{where}: {err}")
        elif key == "barge_in":
            if isinstance(value, bool):
                changes["barge_in"] = value
                continue
            try:
                changes["barge_in_tuning"], changes["barge_in"] = _section(value, BargeInConfig, "barge-in"), True
            except (ConfigError, TypeError, ValueError) as err:
                problems.append(f"{where}: {err}")
        else:
            known = sorted([*_PATHS, *_PLAIN, "endpoint", "barge_in"])
            problems.append(f"{where}: unknown setting (expected one of {', '.join(known)})")
    if problems:
        raise ConfigError("; ".join(problems))
    try:
        return dataclasses.replace(base, **changes)
    except (ConfigError, TypeError, ValueError) as err:
        raise ConfigError(f"{path}: {err}") from None


def _section(value: Any, cls, what: str):
    """A mapping of numbers onto one of the frozen tuning dataclasses (validated by it)."""
    if not isinstance(value, dict):
        raise ConfigError(f"expected true/false or a mapping of {what} settings" if what == "barge-in"
                          else f"expected a mapping of {what} settings")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(value) - names)
    if unknown:
        raise ConfigError(f"unknown {what} settings {unknown} (expected from {sorted(names)})")
    bad = [k for k, v in value.items() if isinstance(v, bool) or not isinstance(v, (int, float))]
    if bad:
        raise ConfigError(f"{what} settings {bad}: expected numbers")
    return cls(**{k: float(v) for k, v in value.items()})


def check_settings_file(path: Path) -> None:
    """Raise ConfigError naming the file and field if `run --settings path` would refuse it (the fleet
    agent's check before it swaps new settings in)."""
    load_settings(path, KioskConfig())
