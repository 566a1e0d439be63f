"""Board health: temperatures and throttling, from whatever sources this board has.

Parsers are pure (tested on captured text); readers return None when a source
is absent, so every source is optional and detected.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# vcgencmd get_throttled bits: 0-3 now, 16-19 since boot.
THROTTLE_BITS = {0: "under-voltage", 1: "arm-frequency-capped", 2: "throttled", 3: "soft-temperature-limit"}


@dataclass(frozen=True)
class Throttling:
    now: tuple[str, ...]
    since_boot: tuple[str, ...]

    @property
    def active(self) -> bool:
        return bool(self.now)


def parse_throttled(text: str) -> Throttling:
    """`throttled=0x50005` -> Throttling(now=(under-voltage, throttled), since_boot=(...))."""
    match = re.search(r"throttled=(0x[0-9a-fA-F]+)", text)
    if not match:
        raise ValueError(f"not vcgencmd get_throttled output: {text.strip()[:60]!r}")
    value = int(match.group(1), 16)
    now = tuple(name for bit, name in THROTTLE_BITS.items() if value & (1 << bit))
    since = tuple(name for bit, name in THROTTLE_BITS.items() if value & (1 << (bit + 16)))
    return Throttling(now, since)


def parse_tegrastats(line: str) -> dict[str, float]:
    """Temperatures from one tegrastats line: `CPU@45.5C GPU@43C ...` -> {"cpu": 45.5, "gpu": 43.0}."""
    return {name.lower(): float(value) for name, value in re.findall(r"(\w+)@(-?\d+(?:\.\d+)?)C\b", line)}


def read_thermal_zones(root: Path = Path("/sys/class/thermal")) -> dict[str, float]:
    """{zone type: °C} from sysfs thermal zones (millidegrees in `temp`)."""
    temps: dict[str, float] = {}
    for zone in sorted(root.glob("thermal_zone*")):
        try:
            kind = (zone / "type").read_text().strip() or zone.name
            temps[kind] = int((zone / "temp").read_text().strip()) / 1000.0
        except (OSError, ValueError):
            continue  # a zone that cannot be read right now is left out, not fatal
    return temps


@dataclass
class HealthSample:
    temperatures_c: dict[str, float] = field(default_factory=dict)
    throttling: Throttling | None = None
    sources: tuple[str, ...] = ()

    @property
    def hottest_c(self) -> float | None:
        return max(self.temperatures_c.values()) if self.temperatures_c else None


class HealthProbe:
    """Reads every available source; `sample()` never raises for a missing one."""

    def __init__(self, thermal_root: Path = Path("/sys/class/thermal")):
        self.thermal_root = thermal_root
        self.vcgencmd = shutil.which("vcgencmd")
        self.tegrastats = shutil.which("tegrastats")

    def sample(self) -> HealthSample:
        sample = HealthSample(read_thermal_zones(self.thermal_root))
        sources = ["sysfs"] if sample.temperatures_c else []
        if self.vcgencmd:
            out = _run([self.vcgencmd, "get_throttled"])
            if out:
                sample.throttling = parse_throttled(out)
                sources.append("vcgencmd")
        if self.tegrastats:
            out = _run([self.tegrastats, "--interval", "100"], first_line=True)
            if out:
                sample.temperatures_c.update({f"tegra-{k}": v for k, v in parse_tegrastats(out).items()})
                sources.append("tegrastats")
        sample.sources = tuple(sources)
        return sample


def _run(cmd: list[str], first_line: bool = False) -> str | None:
    try:
        if first_line:
            with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
                line = proc.stdout.readline()
                proc.terminate()
                return line
        return subprocess.run(cmd, capture_output=True, text=True, timeout=2, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
