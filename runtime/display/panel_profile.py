"""Panel profiles: one YAML file per panel model, validated once at load.

A profile says what the panel is: resolution, rotation, output format,
calibration, fps cap and brightness. The controller's 2D/3D mode follows the
format; runtime/outputs/panel_outputs.py renders each format (docs/panels.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.shared.errors import ConfigError, ContentError
from runtime.shared.yaml_lines import load_with_lines

PANELS_DIR = Path(__file__).parent / "panels"
FORMATS_2D = ("flat", "peppers-ghost", "pyramid", "led-fan")
FORMATS_3D = ("stereo-sbs", "stereo-tb", "lenticular", "quilt", "depth")


# What each format cannot work without (the rest has defaults; see docs/panels.md).
REQUIRED_CALIBRATION = {
    "lenticular": {"views": "count", "pitch": "number", "slope": "number", "dpi": "number"},
    "quilt": {"columns": "count", "rows": "count", "quilt_size": "size"},
}


@dataclass(frozen=True)
class PanelProfile:
    name: str
    description: str
    width: int
    height: int
    rotation: int
    format: str
    fps_cap: float
    brightness: int
    calibration: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def mode_3d(self) -> bool:
        return self.format in FORMATS_3D


def list_profiles(folder: Path = PANELS_DIR) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


def load_profile(name_or_file: str, folder: Path = PANELS_DIR) -> PanelProfile:
    """A shipped profile by name, or a profile file by path."""
    path = Path(name_or_file)
    if not path.suffix:
        path = folder / f"{name_or_file}.yaml"
        if not path.exists():
            raise ConfigError(f"--panel {name_or_file}: no such profile; shipped: {', '.join(list_profiles(folder))}")
    try:
        data, lines = load_with_lines(path)
    except ContentError as err:
        raise ConfigError(str(err)) from err

    try:
        return _parse_profile(path, data, lines)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as err:
        raise ConfigError(f"{path}: values of the documented kinds expected; one broke the parser "
                          f"({type(err).__name__}: {err})") from None


def _parse_profile(path: Path, data, lines: dict) -> PanelProfile:
    def bad(field_name: str, expected: str) -> ConfigError:
        return ConfigError(f"{path}:{lines.get(field_name, 1)}: {field_name}: expected {expected}")

    if not isinstance(data, dict):
        raise bad("(top level)", "a mapping with name, resolution, format")
    res = data.get("resolution")
    if (not isinstance(res, list) or len(res) != 2 or not all(isinstance(v, int) and 16 <= v <= 16384 for v in res)):
        raise bad("resolution", "[width, height] in pixels")
    fmt = data.get("format")
    if fmt not in FORMATS_2D + FORMATS_3D:
        raise bad("format", f"one of {', '.join(FORMATS_2D + FORMATS_3D)}")
    rotation = data.get("rotation", 0)
    if rotation not in (0, 90, 180, 270):
        raise bad("rotation", "0, 90, 180 or 270")
    fps = data.get("fps_cap", 30)
    if not isinstance(fps, (int, float)) or not 1 <= fps <= 240:
        raise bad("fps_cap", "frames per second between 1 and 240")
    brightness = data.get("brightness", 100)
    if not isinstance(brightness, int) or not 0 <= brightness <= 100:
        raise bad("brightness", "a percentage 0..100")
    calibration = data.get("calibration", {})
    if not isinstance(calibration, dict):
        raise bad("calibration", "a mapping of calibration values")
    for key, expected in REQUIRED_CALIBRATION.get(fmt, {}).items():
        value = calibration.get(key)
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and value != 0) if expected == "number" \
            else (isinstance(value, int) and value >= 1) if expected == "count" \
            else (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) and v > 0 for v in value))
        if not ok:
            what = {"number": "a non-zero number", "count": "a whole number >= 1",
                    "size": "[width, height] in pixels"}[expected]
            raise ConfigError(f"{path}:{lines.get('calibration', 1)}: calibration.{key}: expected {what} "
                              f"for a {fmt} panel")
    return PanelProfile(str(data.get("name", path.stem)), str(data.get("description", "")), res[0], res[1],
                        rotation, fmt, float(fps), brightness, calibration, path)
