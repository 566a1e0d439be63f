"""Load YAML keeping the line of every value, so errors can name file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError


def load_with_lines(path: Path) -> tuple[Any, dict[str, int]]:
    """Parse `path`; return (data, {field path like 'intents[2].answer.en': line})."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(f"{path}: file not found") from None
    except UnicodeDecodeError as err:
        raise ContentError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from err
    except OSError as err:
        raise ContentError(f"{path}: cannot read ({err.strerror})") from err
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ContentError(f"{path}{where}: not valid YAML ({getattr(err, 'problem', err)})") from err
    lines: dict[str, int] = {}
    return (_build(node, "", lines) if node is not None else None), lines


def _build(node: yaml.Node, where: str, lines: dict[str, int]) -> Any:
    lines[where] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node))
            child = f"{where}.{key}" if where else str(key)
            out[key] = _build(value_node, child, lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, f"{where}[{i}]", lines) for i, v in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))
