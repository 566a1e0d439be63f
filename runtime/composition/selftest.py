"""`edge-avatar selftest KIND PATH`: does the runtime work on this installed bundle?

The fleet agent runs it (in a child process, with a time limit) right after switching
``current/<kind>`` to a new version; a failure rolls the install back. Each kind is loaded
the way the kiosk loads it, then exercised once (answer the pack's own examples, speak a
phrase, run the model), so "installed" means "the kiosk can use it", not just "unpacked".
"""

from __future__ import annotations

import logging
from pathlib import Path

from runtime.shared.errors import ContentError, EdgeAvatarError, ModelError

_LOGGER = logging.getLogger(__name__)
MIN_EXAMPLES_RIGHT = 0.8


def selftest(kind: str, path: Path) -> str:
    """A one-line summary when healthy; an EdgeAvatarError naming what failed otherwise."""
    path = Path(path)
    if not path.is_dir():
        raise EdgeAvatarError(f"{path}: not an installed bundle folder")
    check = {"content": _content, "avatar": _avatar, "panel": _panel, "config": _config,
             "voice": _models, "asr-model": _models, "tflite-model": _models}.get(kind)
    if check is None:
        raise EdgeAvatarError(f"selftest: unknown kind {kind!r}")
    return check(path, kind)


def _content(path: Path, kind: str) -> str:
    from runtime.dialogue.content_pack import load_content_pack
    from runtime.dialogue.pack_examples import run_pack_examples
    results = run_pack_examples(load_content_pack(path))
    right = sum(r.ok for r in results)
    if not results or right / len(results) < MIN_EXAMPLES_RIGHT:
        raise ContentError(f"{path}: only {right}/{len(results)} example questions land on their intent "
                           f"(at least {MIN_EXAMPLES_RIGHT:.0%} expected)")
    return f"content pack answers {right}/{len(results)} of its examples"


def _avatar(path: Path, kind: str) -> str:
    from runtime.avatar.rig_loader import load_rig
    rig = load_rig(path)
    return f"avatar pack loads ({len(rig.parts)} parts)"


def _single_yaml(path: Path) -> Path:
    files = sorted(path.glob("*.yaml"))
    if len(files) != 1:
        raise EdgeAvatarError(f"{path}: expected exactly one .yaml file, found {len(files)}")
    return files[0]


def _panel(path: Path, kind: str) -> str:
    from runtime.display.panel_profile import load_profile
    profile = load_profile(str(_single_yaml(path)))
    return f"panel profile {profile.name} ({profile.format} {profile.width}x{profile.height})"


def _config(path: Path, kind: str) -> str:
    from .config import KioskConfig
    from .settings_file import load_settings
    load_settings(_single_yaml(path), KioskConfig())
    return "settings valid"


def _models(path: Path, kind: str) -> str:
    from runtime.models.manifest import ModelCatalog, read_manifest
    manifest = path / "manifest.yaml"
    if not manifest.is_file():
        raise ModelError(f"{path}: a {kind} bundle is a models folder with a manifest.yaml")
    catalog = ModelCatalog.load(path)
    own = [e for e in read_manifest(manifest)]
    for entry in own:
        root = catalog.verify(entry)
        if entry.kind == "tts" and entry.engine == "piper":
            from runtime.tts.piper_tts import PiperSynthesizer
            onnx = next(root.glob("*.onnx"), None) if root.is_dir() else root
            voice = PiperSynthesizer(onnx, language=entry.language, deterministic=True)
            if not any(seg.audio.samples().size for seg in voice.synthesize("Hello.")):
                raise ModelError(f"{entry.id}: the voice produced no audio")
        elif entry.kind == "asr" and entry.engine == "vosk":
            import vosk
            vosk.Model(str(root))
        elif entry.kind == "tflite":
            _run_tflite(root)
    return f"{len(own)} model(s) verified and loaded: {', '.join(e.id for e in own)}"


def _run_tflite(root: Path) -> None:
    """Every .tflite of the bundle loads and runs once on the kiosk's inference backend."""
    import numpy as np

    from runtime.models.inference import choose_backend
    backend = choose_backend()
    for model in sorted(root.glob("*.tflite")) if root.is_dir() else [root]:
        loaded = backend.load(model)
        outputs = loaded.run(*(np.zeros(spec.shape, np.float32) for spec in loaded.inputs))
        if not all(np.isfinite(o).all() for o in outputs):
            raise ModelError(f"{model}: the model's output is not finite on a zero input")