"""The labelling I/O edge: every PNG and WAV the kiosk and its tools write goes through
``FileLabeller.label_file`` (metadata label, then the C2PA manifest when credentials are set), and
``read_file_labels`` reads both back for ``edge-avatar rights verify``."""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import c2pa_manifest
from .labels import FileLabel, LabelError, check_label, png_label, png_with_label, wav_label, wav_with_label

_LOGGER = logging.getLogger(__name__)
C2PA_DIR_ENV = "EDGE_AVATAR_C2PA_DIR"


class FileLabeller:
    def __init__(self, label: FileLabel = FileLabel(), credentials: c2pa_manifest.C2paCredentials | None = None):
        self.label = label
        self.credentials = credentials

    @classmethod
    def from_env(cls, label: FileLabel = FileLabel(), data_dir: Path | None = None) -> "FileLabeller":
        """C2PA credentials from $EDGE_AVATAR_C2PA_DIR, else DATA/c2pa/ when it exists; else none."""
        folder = os.environ.get(C2PA_DIR_ENV) or (Path(data_dir) / "c2pa" if data_dir else None)
        creds = None
        if folder and (Path(folder) / "chain.pem").exists():
            creds = c2pa_manifest.C2paCredentials.from_folder(Path(folder))
            c2pa_manifest.require()          # credentials without the library: say so at start, not mid-run
        elif os.environ.get(C2PA_DIR_ENV):
            _LOGGER.error("%s=%s has no chain.pem: files get the metadata label only", C2PA_DIR_ENV, folder)
        return cls(label, creds)

    def with_assets(self, assets) -> "FileLabeller":
        return FileLabeller(replace(self.label, assets=tuple(assets)), self.credentials)

    def label_file(self, path: Path, dest: Path | None = None) -> str:
        """Label PATH (a .png or .wav); the labelled file replaces DEST (default: PATH itself) in one
        rename, so no unlabelled file is ever left under DEST's name. Returns its content id."""
        path = Path(path)
        dest = Path(dest) if dest is not None else path
        suffix = dest.suffix.lower()
        data = path.read_bytes()
        content_id = uuid.uuid4().hex
        aigc = self.label.aigc(content_id)
        if suffix == ".png":
            data = png_with_label(data, aigc)
        elif suffix == ".wav":
            data = wav_with_label(data, aigc)
        else:
            raise LabelError(f"{dest}: only PNG and WAV files are labelled, not {suffix or 'no suffix'}")
        if self.credentials is not None:
            data = c2pa_manifest.sign(data, suffix, self.label, content_id, dest.name, self.credentials)
        tmp = dest.with_name(f".{dest.name}.labelling")
        tmp.write_bytes(data)
        os.replace(tmp, dest)
        if path != dest:
            path.unlink()
        return content_id

    def save_png(self, surface, dest: Path) -> str:
        """pygame.image.save, labelled: the picture appears under DEST only with its label."""
        import pygame
        dest = Path(dest)
        part = dest.with_name(f".{dest.stem}.part.png")
        pygame.image.save(surface, str(part))
        return self.label_file(part, dest)


@dataclass
class FileLabels:
    path: Path
    aigc: dict | None
    c2pa: dict | None
    problems: list[str] = field(default_factory=list)
    signer: str = ""              # the C2PA signer's certificate subject, when signed
    trusted: bool = False         # the reader trusts the signer's CA

    @property
    def ok(self) -> bool:
        return not self.problems


def read_file_labels(path: Path, trust_anchors: bytes | None = None) -> FileLabels:
    path = Path(path)
    suffix = path.suffix.lower()
    data = path.read_bytes()
    try:
        aigc = png_label(data) if suffix == ".png" else wav_label(data) if suffix == ".wav" else None
    except LabelError as err:
        return FileLabels(path, None, None, [f"{path}: {err}"])
    if suffix not in (".png", ".wav"):
        return FileLabels(path, None, None, [f"{path}: expected a .png or .wav file"])
    out = FileLabels(path, aigc, None, check_label(aigc))
    store = c2pa_manifest.read(data, suffix, trust_anchors)
    if store is not None:
        out.c2pa = store
        out.problems += c2pa_manifest.problems(store)
        active = store.get("manifests", {}).get(store.get("active_manifest"), {})
        info = active.get("signature_info", {})
        out.signer = f"{info.get('common_name', '?')} ({info.get('issuer', '?')})"
        out.trusted = not any(s.get("code") == "signingCredential.untrusted"
                              for s in store.get("validation_status", []))
    return out
