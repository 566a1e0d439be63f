"""Where downloaded chunks wait until a bundle is complete (kept across restarts: resume)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from .errors import BundleRejected


class FileChunkStore:
    """``DIR/<bundle_id>/<index>.chunk``; each chunk is written whole (temp + rename) after its
    hash was checked, so whatever is on disk after a crash is good and need not be fetched again."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _dir(self, bundle_id: str) -> Path:
        return self.root / bundle_id

    def have(self, bundle_id: str, count: int) -> set[int]:
        folder = self._dir(bundle_id)
        if not folder.is_dir():
            return set()
        return {int(p.stem) for p in folder.glob("*.chunk") if p.stem.isdigit() and int(p.stem) < count}

    def put(self, bundle_id: str, index: int, data: bytes) -> None:
        folder = self._dir(bundle_id)
        folder.mkdir(exist_ok=True)
        tmp = folder / f".{index}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, folder / f"{index}.chunk")

    def assemble(self, bundle_id: str, count: int) -> Path:
        """Join the chunks into ``<bundle_id>.bundle`` and check the whole file's sha256."""
        out = self.root / f"{bundle_id}.bundle"
        h = hashlib.sha256()
        with open(out, "wb") as f:
            for i in range(count):
                data = (self._dir(bundle_id) / f"{i}.chunk").read_bytes()
                h.update(data)
                f.write(data)
        if h.hexdigest() != bundle_id:
            out.unlink()
            self.discard(bundle_id)
            raise BundleRejected("download-failed", f"the joined chunks hash to {h.hexdigest()[:12]}…, "
                                                    f"not the offered {bundle_id[:12]}…")
        return out

    def discard(self, bundle_id: str) -> None:
        shutil.rmtree(self._dir(bundle_id), ignore_errors=True)
        (self.root / f"{bundle_id}.bundle").unlink(missing_ok=True)


class CountingChunkStore:
    """Keeps only which chunks arrived (the simulator's devices: hashes checked, bytes dropped)."""

    def __init__(self):
        self._have: dict[str, set[int]] = {}
        self.bytes = 0

    def have(self, bundle_id: str, count: int) -> set[int]:
        return set(self._have.get(bundle_id, ()))

    def put(self, bundle_id: str, index: int, data: bytes) -> None:
        self._have.setdefault(bundle_id, set()).add(index)
        self.bytes += len(data)

    def discard(self, bundle_id: str) -> None:
        self._have.pop(bundle_id, None)
