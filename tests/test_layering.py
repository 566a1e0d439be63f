"""The house's layering: dependencies flow one way, and no folder imports one above it.

Every import in the product (top-level or inside a function) is read from the source. A unit is a
folder of `runtime/` (``runtime.listening``), or a top-level package. A unit may import its own
modules and units on lower layers only; two units on one layer may not import each other. Only the
composition root (``runtime.composition``, ``runtime.cli``) may reach the fleet agent and the panel
bridge; ``fleet`` and ``firmware_bridge`` need nothing of the kiosk but ``runtime.shared`` (and ``fleet``
``runtime.rights``, the pure rights records it checks at install).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ("runtime", "fleet", "firmware_bridge", "hw_tests", "models_quantized")

# lowest first; see docs/architecture.md ("Layers")
LAYERS: list[tuple[str, ...]] = [
    ("runtime", "runtime.shared", "models_quantized"),
    ("runtime.safety", "runtime.rights"),
    ("runtime.audio", "runtime.ops", "runtime.dialogue", "runtime.avatar", "runtime.board", "runtime.models",
     "fleet", "firmware_bridge"),
    ("runtime.asr", "runtime.tts", "runtime.display", "runtime.surroundings", "runtime.mood"),
    ("runtime.lipsync",),
    ("runtime.speaking",),
    ("runtime.turn_taking",),
    ("runtime.listening",),
    ("runtime.conversation",),
    ("runtime.composition",),
    # the board checks a hardware tester runs, and the recipes that build the int8 models
    ("hw_tests", "models_quantized.recipes"),
    ("runtime.console",),    # the web console: uses the fleet admin tools and the kiosk's own library code
    ("runtime.cli",),        # every command, `edge-avatar hwtest` among them
    ("runtime.__main__",),
]
LAYER_OF = {unit: i for i, units in enumerate(LAYERS) for unit in units}


def unit_of(module: str) -> str:
    parts = module.split(".")
    if module.startswith("models_quantized.recipes"):
        return "models_quantized.recipes"
    if parts[0] == "runtime" and len(parts) > 1:
        return "runtime." + parts[1]
    return parts[0]


def product_modules() -> dict[str, Path]:
    found = {}
    for top in PRODUCT:
        for path in (REPO / top).rglob("*.py"):
            rel = path.relative_to(REPO).with_suffix("")
            name = ".".join(rel.parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports_of(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            for alias in node.names:
                full = f"{name}.{alias.name}"
                out.add(full if full in known else name)
    return {m for m in out if m.split(".")[0] in PRODUCT + ("tests", "bench")}


def test_every_product_unit_has_a_layer():
    units = {unit_of(m) for m in product_modules()}
    assert units - set(LAYER_OF) == set(), "add the new folder to LAYERS (and docs/architecture.md)"


def test_imports_flow_down_the_layers_only():
    known = product_modules()
    wrong = []
    for module, path in sorted(known.items()):
        mine = unit_of(module)
        for target in sorted(imports_of(module, path, known)):
            theirs = unit_of(target)
            if theirs == mine:
                continue
            if theirs not in LAYER_OF:
                wrong.append(f"{module} imports {target} (tests and benchmarks are not part of the product)")
            elif LAYER_OF[theirs] >= LAYER_OF[mine]:
                wrong.append(f"{module} ({mine}, layer {LAYER_OF[mine]}) imports {target} "
                             f"({theirs}, layer {LAYER_OF[theirs]})")
    assert wrong == []


def test_no_import_cycles_between_modules():
    known = product_modules()
    graph = {m: {t for t in imports_of(m, p, known) if t in known} for m, p in known.items()}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v: str) -> None:   # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert cycles == []


def test_the_layering_check_sees_a_wrong_import(tmp_path):
    """The check itself: a kiosk folder that reached up into the composition root is caught."""
    fake = tmp_path / "kiosk.py"
    fake.write_text("from runtime.composition.app import run_kiosk\nfrom ..speaking import speech_output\n")
    found = imports_of("runtime.listening.kiosk", fake, product_modules())
    assert "runtime.composition.app" in found and "runtime.speaking.speech_output" in found
    assert LAYER_OF[unit_of("runtime.composition.app")] > LAYER_OF["runtime.listening"]
