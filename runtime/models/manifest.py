"""The model catalog: which models and voices exist, where, and whether they are intact.

Reads the bundled `models_quantized/manifest.yaml` plus the manifest of an
admin's models directory (entries there win). A file whose sha256 differs from
its manifest entry is refused with a clear error; nothing is ever downloaded.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

import yaml

from models_quantized import MANIFEST as BUNDLED_MANIFEST
from runtime.shared.durable_files import sha256_file
from runtime.shared.file_checks import matches_sha256
from runtime.shared.errors import ModelError

_LOGGER = logging.getLogger(__name__)
KINDS = ("tts", "asr", "vad", "tflite")
PRECISIONS = ("float", "int8")


@dataclass(frozen=True)
class ModelFile:
    path: Path
    sha256: str


@dataclass(frozen=True)
class AssembledFile:
    """A file made on first use by joining `parts` (paths of the entry's files, in order) — a model
    too big for one package arrives split over several; `sha256` is that of the joined file."""

    path: str
    parts: tuple[Path, ...]
    sha256: str
    size_bytes: int | None = None


@dataclass(frozen=True)
class ModelEntry:
    id: str
    kind: str
    engine: str
    language: str
    root: Path | None          # None: the package that should hold it is not installed
    files: tuple[ModelFile, ...]
    licence: str
    source: str
    manifest: Path
    precision: str = "float"   # "float" or "int8": a voice may exist in both
    assemble: tuple[AssembledFile, ...] = ()   # files joined from parts on first use (runtime/asr/model_parts.py)
    packages: tuple[str, ...] = ()             # the Python packages (import names) that hold its files
    also_languages: tuple[str, ...] = ()       # other languages a multilingual model is enabled for (`also:`)

    def serves(self, language: str) -> bool:
        """Is this entry for `language` (its own, one it is `also:` enabled for, or any)?"""
        return language in (self.language, "any") or language in self.also_languages

    @property
    def available(self) -> bool:
        return self.root is not None and all(f.path.exists() for f in self.files)

    def missing_packages(self) -> list[str]:
        """The packages this model needs that are not installed, as pip names them."""
        return [name.replace("_", "-") for name in self.packages if _package_dir(name) is None]


class ModelCatalog:
    def __init__(self, entries: list[ModelEntry]):
        self.entries = entries

    @classmethod
    def load(cls, models_dir: Path | None = None, *more_dirs: Path) -> "ModelCatalog":
        """The bundled manifest plus admin models folders; an entry in an earlier folder wins."""
        entries = read_manifest(BUNDLED_MANIFEST)
        for folder in reversed([d for d in (models_dir, *more_dirs) if d is not None]):
            manifest = Path(folder) / "manifest.yaml"
            if not manifest.exists():
                raise ModelError(f"{manifest}: a models directory needs a manifest.yaml")
            admin = read_manifest(manifest)
            ids = {e.id for e in admin}
            entries = admin + [e for e in entries if e.id not in ids]
        return cls(entries)

    def find(self, kind: str, language: str, engine: str | None = None,
             precision: str | None = None) -> ModelEntry | None:
        """The first installed entry that fits; with `precision`, one of that precision if any is
        installed, else one of the other (a board that prefers int8 still speaks without it)."""
        fits = [e for e in self.entries if e.kind == kind and e.language in (language, "any")
                and (engine is None or e.engine == engine) and e.available]
        preferred = [e for e in fits if precision is None or e.precision == precision]
        return (preferred or fits or [None])[0]

    def by_id(self, model_id: str) -> ModelEntry | None:
        return next((e for e in self.entries if e.id == model_id), None)

    def verify(self, entry: ModelEntry) -> Path:
        """Check every file's sha256; return the model's root folder."""
        if entry.root is None:
            raise ModelError(f"{entry.manifest}: model {entry.id}: its package is not installed")
        for f in entry.files:
            try:
                ok = matches_sha256(f.path, f.sha256)
            except FileNotFoundError:
                raise ModelError(f"{f.path}: file of model {entry.id} is missing") from None
            if not ok:
                raise ModelError(f"{f.path}: sha256 {sha256_file(f.path)[:12]}… does not match the manifest "
                                 f"({f.sha256[:12]}…) for model {entry.id}; refusing to load it")
        return entry.root


def read_manifest(manifest: Path) -> list[ModelEntry]:
    try:
        data = yaml.safe_load(Path(manifest).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{manifest}: model manifest not found") from None
    except yaml.YAMLError as err:
        raise ModelError(f"{manifest}: not valid YAML ({err})") from err
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise ModelError(f"{manifest}: expected a mapping with a `models` list")
    return [_entry(manifest, i, raw) for i, raw in enumerate(data["models"])]


def _entry(manifest: Path, i: int, raw: object) -> ModelEntry:
    where = f"{manifest}: models[{i}]"
    if not isinstance(raw, dict):
        raise ModelError(f"{where}: expected a mapping")
    for key in ("id", "kind", "engine", "language", "location", "files", "licence"):
        if key not in raw:
            raise ModelError(f"{where}.{key}: missing (expected in every model entry)")
    if raw.get("precision", "float") not in PRECISIONS:
        raise ModelError(f"{where}.precision: expected one of {list(PRECISIONS)}, got {raw['precision']!r}")
    also = raw.get("also", [])
    if not isinstance(also, list) or not all(isinstance(x, str) and x for x in also):
        raise ModelError(f"{where}.also: expected a list of language codes (other languages the model serves)")
    if raw["kind"] not in KINDS:
        raise ModelError(f"{where}.kind: expected one of {list(KINDS)}, got {raw['kind']!r}")
    if "non-commercial" in str(raw["licence"]).lower() or "-nc" in str(raw["licence"]).lower():
        raise ModelError(f"{where}.licence: a non-commercial licence cannot ship on a kiosk")
    location = raw["location"]
    if not isinstance(location, dict) or "path" not in location:
        raise ModelError(f"{where}.location: expected {{path: ...}} or {{package: ..., path: ...}}")
    root: Path | None
    packages: list[str] = []
    if "package" in location:
        packages.append(str(location["package"]))
        base = _package_dir(str(location["package"]))
        root = (base / str(location["path"])).resolve() if base else None
    else:
        root = (Path(manifest).parent / str(location["path"])).resolve()
    files = []
    by_name: dict[str, Path] = {}
    if not isinstance(raw["files"], list) or not raw["files"]:
        raise ModelError(f"{where}.files: expected a non-empty list of {{path, sha256}}")
    for j, f in enumerate(raw["files"]):
        if not isinstance(f, dict) or len(str(f.get("sha256", ""))) != 64:
            raise ModelError(f"{where}.files[{j}]: expected {{path: ..., sha256: 64 hex digits}}")
        base = root
        if "package" in f:      # a file in another package (a model split over several)
            packages.append(str(f["package"]))
            package_dir = _package_dir(str(f["package"]))
            base = package_dir.resolve() if package_dir else None
            if base is None:
                root = None     # that package is not installed: the model is not available
        path = (base / str(f["path"])).resolve() if base else Path(str(f["path"]))
        by_name[str(f["path"])] = path
        if "package" in f:      # parts of the same name in several packages: `assemble` names them PACKAGE/PATH
            by_name[f"{f['package']}/{f['path']}"] = path
        files.append(ModelFile(path, str(f["sha256"]).lower()))
    assemble = tuple(_assembled(f"{where}.assemble", raw.get("assemble", []), by_name))
    return ModelEntry(str(raw["id"]), str(raw["kind"]), str(raw["engine"]), str(raw["language"]),
                      root, tuple(files), str(raw["licence"]), str(raw.get("source", "")), Path(manifest),
                      str(raw.get("precision", "float")), assemble, tuple(dict.fromkeys(packages)),
                      tuple(str(x) for x in raw.get("also", []) or []))


def _package_dir(name: str) -> Path | None:
    """The folder of an installed Python package, or None."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec and spec.origin:
        return Path(spec.origin).parent
    if spec and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return None


def _assembled(where: str, raw: object, files: dict[str, Path]) -> list[AssembledFile]:
    """`assemble: [{path: model.bin, parts: [FILE, ...], sha256: ..., size_bytes: N}]`, each part one
    of the entry's `files` by the path written there (PACKAGE/PATH for a file that names its package)."""
    if not isinstance(raw, list):
        raise ModelError(f"{where}: expected a list of {{path, parts, sha256}}")
    out = []
    for k, a in enumerate(raw):
        if (not isinstance(a, dict) or not isinstance(a.get("parts"), list) or not a["parts"]
                or len(str(a.get("sha256", ""))) != 64 or "/" in str(a.get("path", "/"))):
            raise ModelError(f"{where}[{k}]: expected {{path: FILE NAME, parts: [files of this entry], "
                             f"sha256: 64 hex digits}}")
        unknown = [p for p in a["parts"] if str(p) not in files]
        if unknown:
            raise ModelError(f"{where}[{k}].parts: {unknown} are not among this entry's files")
        size = a.get("size_bytes")
        out.append(AssembledFile(str(a["path"]), tuple(files[str(p)] for p in a["parts"]),
                                 str(a["sha256"]).lower(), int(size) if size is not None else None))
    return out
