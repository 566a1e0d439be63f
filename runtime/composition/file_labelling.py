"""Which assets made the files a run writes, for their implicit AI labels (docs/rights.md): the
frames name the character shown, the answer WAV the voice and the content pack. An asset's record
is its folder's own ``rights.yaml`` (a fleet install, an admin's pack), else the shipped record of
the default it is (``runtime/rights/shipped/``); an asset with neither is logged, not hidden."""

from __future__ import annotations

import logging
from pathlib import Path

from runtime.models.manifest import ModelCatalog
from runtime.rights.file_labels import FileLabeller
from runtime.rights.labels import AssetRef, FileLabel
from runtime.rights.shipped import DEFAULT_CHARACTER, DEFAULT_CONTENT, folder_ref, shipped_ref

from .config import DEFAULT_CONTENT as DEFAULT_CONTENT_DIR
from .config import KioskConfig

_LOGGER = logging.getLogger(__name__)


def provider(cfg: KioskConfig) -> str:
    """The service provider the label names: edge-avatar, at the kiosk's site when known."""
    return f"edge-avatar@{cfg.site}" if cfg.site else "edge-avatar"


def _ref(folder: Path | None, default_id: str, what: str) -> AssetRef | None:
    ref = folder_ref(folder) if folder is not None else None
    if ref is None and folder is not None and Path(folder).resolve() != DEFAULT_CONTENT_DIR.resolve():
        _LOGGER.warning("%s %s has no rights.yaml: its files' labels cannot name its rights record", what, folder)
        return None
    return ref or shipped_ref(default_id)


def voice_ref(catalog: ModelCatalog, lang: str, precision: str) -> AssetRef | None:
    entry = catalog.find("tts", lang, engine="piper", precision=precision) or catalog.find("tts", lang, engine="kokoro")
    if entry is None:
        return None                       # espeak-ng: a rule-based voice, no model and nobody's recordings
    return folder_ref(entry.manifest.parent) or shipped_ref(entry.id)


def character_ref(avatar_dir: Path | None) -> AssetRef | None:
    return _ref(avatar_dir, DEFAULT_CHARACTER, "avatar pack") if avatar_dir else shipped_ref(DEFAULT_CHARACTER)


def labellers(cfg: KioskConfig, catalog: ModelCatalog, lang: str, precision: str) -> tuple[FileLabeller, FileLabeller]:
    """(frames, audio): the labeller of the saved frames and the one of the answer WAV."""
    base = FileLabeller.from_env(FileLabel(provider(cfg)), cfg.data_dir)
    frames = [r for r in (character_ref(cfg.avatar_dir),) if r]
    audio = [r for r in (voice_ref(catalog, lang, precision), _ref(cfg.content_dir, DEFAULT_CONTENT, "content pack")) if r]
    return base.with_assets(frames), base.with_assets(audio)
