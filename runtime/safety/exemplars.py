"""The exemplar turns the learned scorer is fitted on (runtime/safety/exemplars.yaml: the dev red-team set)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from runtime.shared.errors import ConfigError

from .kinds import SafetyKind

EXEMPLARS = Path(__file__).with_name("exemplars.yaml")
NONE = "none"
KIND_CLASSES = tuple(k.value for k in SafetyKind) + (NONE,)
MOODS = ("distress", "urgency", "frustration", "anger", "confusion", "thanks", "neutral")


@dataclass(frozen=True)
class Exemplar:
    lang: str
    kind: str    # a SafetyKind value, or "none" (an ordinary turn)
    mood: str    # one of MOODS
    text: str


def load_exemplars(path: Path = EXEMPLARS) -> tuple[Exemplar, ...]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: cannot read the safety exemplars ({err})") from err
    rows = data.get("exemplars") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        raise ConfigError(f"{path}: expected a list under 'exemplars:'")
    out = []
    for i, row in enumerate(rows):
        where = f"{path}: exemplars[{i}]"
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"].strip():
            raise ConfigError(f"{where}: expected {{lang, kind, mood, text}} with a non-empty text")
        if row.get("kind") not in KIND_CLASSES:
            raise ConfigError(f"{where}.kind: expected one of {list(KIND_CLASSES)}, got {row.get('kind')!r}")
        if row.get("mood") not in MOODS:
            raise ConfigError(f"{where}.mood: expected one of {list(MOODS)}, got {row.get('mood')!r}")
        out.append(Exemplar(str(row.get("lang", "")), row["kind"], row["mood"], row["text"]))
    return tuple(out)
