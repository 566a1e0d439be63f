"""Load an avatar pack folder (`rig.yaml` + PNG layers) and validate it once.

Every problem is reported as `file:line: field: expected …`; `check_rig` lists
them all (for `edge-avatar avatar check`), `load_rig` raises on the first five.
The format is documented in docs/avatar-pack.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runtime.shared.errors import ContentError
from runtime.shared.pack_problems import PackProblems, parse_guarded
from runtime.shared.yaml_lines import load_with_lines

from .mouth_shapes import RHUBARB_NAMES, complete_sets
from .params import STANDARD, ParamSpec
from .rig import BLEND_MODES, Affine, Expression, Keyforms, Motion, Part, Pendulum, Rig

RIG_FILE = "rig.yaml"
REQUIRED_EXPRESSIONS = ("neutral", "smile", "surprised", "thinking", "sad")
REQUIRED_MOTIONS = ("nod", "idle")
AFFINE_FIELDS = ("x", "y", "rotate", "scale", "scale_x", "scale_y", "opacity")


class AvatarPackError(ContentError):
    """An avatar pack that cannot be used, with every reason."""


def load_rig(folder: Path) -> Rig:
    rig, problems = _load(Path(folder))
    if problems:
        raise AvatarPackError("; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)"
                                                         if len(problems) > 5 else ""))
    assert rig is not None
    return rig


def check_rig(folder: Path) -> list[str]:
    try:
        return _load(Path(folder))[1]
    except ContentError as err:
        return [str(err)]


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _load(folder: Path) -> tuple[Rig | None, list[str]]:
    if not folder.is_dir():
        raise AvatarPackError(f"{folder}: avatar pack folder not found")
    file = folder / RIG_FILE
    data, lines = load_with_lines(file)
    p = PackProblems(file, lines)
    if not isinstance(data, dict):
        p.add("(top level)", "a mapping with name, canvas, parts, expressions and motions")
        return None, p.items
    return parse_guarded(_parse, p, folder, data, p), p.items


def _parse(folder: Path, data: dict, p: PackProblems) -> Rig:
    canvas = data.get("canvas")
    if not (isinstance(canvas, list) and len(canvas) == 2 and all(isinstance(v, int) and v > 0 for v in canvas)):
        p.add("canvas", "[width, height] in pixels")
        canvas = [1080, 1920]
    params = dict(STANDARD)
    for name, spec in (data.get("params") or {}).items():
        if (not isinstance(spec, dict) or not all(_num(spec.get(k)) for k in ("min", "max"))
                or spec["min"] >= spec["max"]):
            p.add(f"params.{name}", "{min: number, max: number (> min), default: number}")
            continue
        default = spec.get("default", 0.0)
        params[str(name)] = ParamSpec(float(spec["min"]), float(spec["max"]),
                                      float(default) if _num(default) else 0.0)
    parts = _parts(data.get("parts"), folder, params, p)
    expressions = _expressions(data.get("expressions"), params, p)
    motions = _motions(data.get("motions"), params, p)
    physics = _physics(data.get("physics"), params, p)
    interior = data.get("mouth_interior")
    if interior is not None and not (isinstance(interior, list) and len(interior) == 3
                                     and all(isinstance(v, int) and 0 <= v <= 255 for v in interior)):
        p.add("mouth_interior", "[r, g, b] (0-255): the colour inside the open mouth")
        interior = None
    rig = Rig(str(data.get("name", folder.name)), str(folder), (canvas[0], canvas[1]), params,
              tuple(sorted(parts, key=lambda part: part.order)), expressions, motions, physics,
              tuple(interior) if interior else None)
    return rig


def _parts(raw: Any, folder: Path, params: dict[str, ParamSpec], p: PackProblems) -> list[Part]:
    if not isinstance(raw, list) or not raw:
        p.add("parts", "a non-empty list of parts")
        return []
    parts, ids = [], set()
    for i, item in enumerate(raw):
        where = f"parts[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            p.add(f"{where}.id", "a part with a string id")
            continue
        if item["id"] in ids:
            p.add(f"{where}.id", f"a unique id ({item['id']!r} is used twice)")
        ids.add(item["id"])
        parts.append(_part(item, i, where, folder, params, p))
    _check_parents(parts, ids, p)
    mouths = [part for part in parts if part.mouths]
    if len(mouths) != 1:
        p.add("parts", f"exactly one part with `mouths` (found {len(mouths)})")
    return parts


def _part(item: dict, i: int, where: str, folder: Path, params: dict[str, ParamSpec], p: PackProblems) -> Part:
    order, z, pivot = item.get("order", i), item.get("z", 0.0), item.get("pivot", [0, 0])
    if not isinstance(order, int):
        p.add(f"{where}.order", "an integer draw order")
        order = i
    if not _num(z):
        p.add(f"{where}.z", "a number: depth, + towards the viewer")
        z = 0.0
    if not (isinstance(pivot, list) and len(pivot) == 2 and all(_num(v) for v in pivot)):
        p.add(f"{where}.pivot", "[x, y] in canvas pixels")
        pivot = [0, 0]
    at = item.get("at", [0, 0])
    if not (isinstance(at, list) and len(at) == 2 and all(_num(v) for v in at)):
        p.add(f"{where}.at", "[x, y]: canvas pixels of the image's top-left corner")
        at = [0, 0]
    image = item.get("image")
    if image is not None and not _file_ok(folder, image):
        p.add(f"{where}.image", f"a PNG file in the pack ({image!r} not found)")
    keyforms = {}
    for param, keys in (item.get("keyforms") or {}).items():
        parsed = _keyforms(keys, f"{where}.keyforms.{param}", params.get(str(param)), p)
        if parsed is not None:
            keyforms[str(param)] = parsed
    return Part(item["id"], order, float(z), (float(pivot[0]), float(pivot[1])),
                str(image) if image is not None else None, (float(at[0]), float(at[1])),
                _mouths(item.get("mouths"), where, folder, p), item.get("parent"), keyforms)


def _mouths(raw_mouths: Any, where: str, folder: Path, p: PackProblems) -> dict[str, str]:
    mouths: dict[str, str] = {}
    if raw_mouths is None:
        return mouths
    if not isinstance(raw_mouths, dict):
        p.add(f"{where}.mouths", "a mapping of mouth shape to PNG file")
        raw_mouths = {}
    # "E" is both a viseme and a Rhubarb shape: a mouth set of only A-F means Rhubarb.
    rhubarb = set(map(str, raw_mouths)) <= set(RHUBARB_NAMES)
    for shape, shape_file in raw_mouths.items():
        shape = RHUBARB_NAMES[str(shape)] if rhubarb else str(shape)
        if not _file_ok(folder, shape_file):
            p.add(f"{where}.mouths.{shape}", f"a PNG file in the pack ({shape_file!r} not found)")
        mouths[shape] = str(shape_file)
    if not any(s <= set(mouths) for s in complete_sets()):
        p.add(f"{where}.mouths", "all 15 visemes (sil PP FF TH DD kk CH SS nn RR aa E ih oh ou), "
                                 "or the six Rhubarb shapes A-F, or open and closed")
    return mouths


def _check_parents(parts: list[Part], ids: set[str], p: PackProblems) -> None:
    for i, part in enumerate(parts):
        if part.parent is not None and part.parent not in ids:
            p.add(f"parts[{i}].parent", f"the id of another part ({part.parent!r} is not one)")
    by_id = {part.id: part for part in parts}
    for i, part in enumerate(parts):
        seen, cur = {part.id}, part.parent
        while cur is not None and cur in by_id:
            if cur in seen:
                p.add(f"parts[{i}].parent", "a parent chain without a loop")
                break
            seen.add(cur)
            cur = by_id[cur].parent


def _file_ok(folder: Path, name: Any) -> bool:
    if not isinstance(name, str) or ".." in Path(name).parts or Path(name).is_absolute():
        return False
    return (folder / name).is_file()


def _keyforms(raw: Any, where: str, spec: ParamSpec | None, p: PackProblems) -> Keyforms | None:
    if spec is None:
        p.add(where, "a standard parameter (ParamAngleX, ParamEyeLOpen, …) or one declared under params")
        return None
    if not isinstance(raw, dict) or not raw:
        p.add(where, "a mapping of parameter value to {x, y, rotate, scale, scale_x, scale_y, opacity}")
        return None
    keys = []
    for value, change in raw.items():
        if not _num(value) or not spec.minimum <= value <= spec.maximum:
            p.add(f"{where}.{value}", f"a parameter value within {spec.minimum:g}..{spec.maximum:g}")
            continue
        if not isinstance(change, dict) or not all(k in AFFINE_FIELDS and _num(v) for k, v in change.items()):
            p.add(f"{where}.{value}", f"a mapping with numbers for {', '.join(AFFINE_FIELDS)}")
            continue
        scale = float(change.get("scale", 1.0))
        keys.append((float(value), Affine(float(change.get("x", 0)), float(change.get("y", 0)),
                                          float(change.get("rotate", 0)),
                                          scale * float(change.get("scale_x", 1)),
                                          scale * float(change.get("scale_y", 1)),
                                          float(change.get("opacity", 1)))))
    return Keyforms(tuple(sorted(keys, key=lambda k: k[0]))) if keys else None


def _expressions(raw: Any, params: dict[str, ParamSpec], p: PackProblems) -> dict[str, Expression]:
    if not isinstance(raw, dict):
        p.add("expressions", f"a mapping with at least {', '.join(REQUIRED_EXPRESSIONS)}")
        return {}
    out = {}
    for name, item in raw.items():
        where = f"expressions.{name}"
        if not isinstance(item, dict):
            p.add(where, "{fade_in: s, fade_out: s, params: {Param: [value, add|multiply|overwrite]}}")
            continue
        values = {}
        for param, setting in (item.get("params") or {}).items():
            if param not in params:
                p.add(f"{where}.params.{param}", "a known parameter")
                continue
            if (not isinstance(setting, list) or len(setting) != 2 or not _num(setting[0])
                    or setting[1] not in BLEND_MODES):
                p.add(f"{where}.params.{param}", f"[value, one of {'/'.join(BLEND_MODES)}]")
                continue
            values[str(param)] = (float(setting[0]), str(setting[1]))
        fade_in, fade_out = item.get("fade_in", 0.3), item.get("fade_out", 0.3)
        if not (_num(fade_in) and _num(fade_out) and fade_in >= 0 and fade_out >= 0):
            p.add(where, "fade_in and fade_out in seconds (>= 0)")
            fade_in, fade_out = 0.3, 0.3
        out[str(name)] = Expression(str(name), float(fade_in), float(fade_out), values)
    for name in REQUIRED_EXPRESSIONS:
        if name not in out and name in raw:
            continue
        if name not in raw:
            p.add("expressions", f"an expression named {name!r} (needed: {', '.join(REQUIRED_EXPRESSIONS)})")
    return out


def _motions(raw: Any, params: dict[str, ParamSpec], p: PackProblems) -> dict[str, Motion]:
    if not isinstance(raw, dict):
        p.add("motions", "a mapping with at least nod, idle, and wave or bow")
        return {}
    out = {}
    for name, item in raw.items():
        where = f"motions.{name}"
        if not isinstance(item, dict) or not _num(item.get("duration")) or item["duration"] <= 0:
            p.add(where, "{duration: s, loop: bool, curves: {Param: [[t, value], ...]}}")
            continue
        curves = {}
        for param, points in (item.get("curves") or {}).items():
            if param not in params:
                p.add(f"{where}.curves.{param}", "a known parameter")
                continue
            if (not isinstance(points, list) or not points
                    or not all(isinstance(pt, list) and len(pt) == 2 and all(_num(v) for v in pt) for pt in points)):
                p.add(f"{where}.curves.{param}", "a list of [time s, value] points")
                continue
            curves[str(param)] = tuple(sorted((float(t), float(v)) for t, v in points))
        out[str(name)] = Motion(str(name), float(item["duration"]), bool(item.get("loop", False)), curves)
    for name in REQUIRED_MOTIONS:
        if name not in raw:
            p.add("motions", f"a motion named {name!r} (needed: nod, idle, and wave or bow)")
    if "wave" not in raw and "bow" not in raw:
        p.add("motions", "a motion named 'wave' or 'bow'")
    return out


def _physics(raw: Any, params: dict[str, ParamSpec], p: PackProblems) -> tuple[Pendulum, ...]:
    out = []
    for i, item in enumerate(raw or []):
        where = f"physics[{i}]"
        if not isinstance(item, dict):
            p.add(where, "{id, inputs: {Param: px per unit}, output: Param, length: m, damping: 1/s}")
            continue
        inputs = item.get("inputs") or {}
        bad_inputs = [k for k, v in inputs.items() if k not in params or not _num(v)]
        if not inputs or bad_inputs:
            p.add(f"{where}.inputs", "a mapping of known parameters to numbers")
            continue
        if item.get("output") not in params:
            p.add(f"{where}.output", "a parameter declared under params (the swing angle in degrees)")
            continue
        length, damping = item.get("length", 0.1), item.get("damping", 2.0)
        if not (_num(length) and length > 0 and _num(damping) and damping >= 0):
            p.add(where, "length > 0 (m) and damping >= 0 (1/s)")
            continue
        out.append(Pendulum(str(item.get("id", f"pendulum{i}")), {str(k): float(v) for k, v in inputs.items()},
                            str(item["output"]), float(length), float(damping)))
    return tuple(out)
