"""Choose the speech backends once, at start-up, and say which were chosen."""

from __future__ import annotations

import logging

from runtime.asr.base import Recognizer
from runtime.models.manifest import ModelCatalog
from runtime.shared.errors import LanguageError, ModelError
from runtime.tts.base import Synthesizer

_LOGGER = logging.getLogger(__name__)


def can_recognize(catalog: ModelCatalog, language: str) -> bool:
    return any(catalog.find("asr", language, engine=e) is not None for e in ("vosk", "pocketsphinx"))


def make_recognizer(catalog: ModelCatalog, language: str,
                    phrases: list[str] | None = None) -> Recognizer:
    """Vosk when a Vosk model for the language is installed, else pocketsphinx (en only)."""
    vosk_entry = catalog.find("asr", language, engine="vosk")
    if vosk_entry is not None:
        from runtime.asr.vosk_asr import VoskRecognizer
        recognizer: Recognizer = VoskRecognizer(catalog.verify(vosk_entry), language, phrases)
        _LOGGER.info("ASR backend for %s: vosk (%s%s)", language, vosk_entry.id,
                     ", phrase grammar" if phrases else "")
        return recognizer
    ps_entry = catalog.find("asr", language, engine="pocketsphinx")
    if ps_entry is not None:
        from runtime.asr.pocketsphinx_asr import PocketsphinxRecognizer
        recognizer = PocketsphinxRecognizer(catalog.verify(ps_entry), language, hints=phrases)
        _LOGGER.info("ASR backend for %s: pocketsphinx (%s%s)", language, ps_entry.id,
                     f", venue language model from {len(phrases)} phrases" if phrases else "")
        return recognizer
    raise LanguageError(f"language {language!r}: no speech recogniser installed; add a Vosk model "
                        f"for {language} to a models directory (--models DIR with a manifest.yaml)")


def describe_recognizer(catalog: ModelCatalog, language: str) -> str:
    """The engine `make_recognizer` will use, without loading it (for a background load)."""
    if catalog.find("asr", language, engine="vosk") is not None:
        return "vosk"
    if catalog.find("asr", language, engine="pocketsphinx") is not None:
        return "pocketsphinx"
    raise LanguageError(f"language {language!r}: no speech recogniser installed; add a Vosk model "
                        f"for {language} to a models directory (--models DIR with a manifest.yaml)")


def describe_synthesizer(catalog: ModelCatalog, language: str, precision: str = "float") -> tuple[str, int]:
    """(engine, sample rate) of the voice `make_synthesizer` will load, read from its config file."""
    import json
    entry = catalog.find("tts", language, engine="piper", precision=precision)
    if entry is None:
        return "espeak-ng", 22050
    config = next(f.path for f in entry.files if f.path.name.endswith(".onnx.json"))
    try:
        return "piper", int(json.loads(config.read_text(encoding="utf-8"))["audio"]["sample_rate"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ModelError(f"{config}: expected a Piper voice config with audio.sample_rate ({err})") from err


def make_synthesizer(catalog: ModelCatalog, language: str, deterministic: bool = False,
                     precision: str = "float") -> Synthesizer:
    """A Piper voice for the language when installed (of `precision` when both exist), else
    espeak-ng, so the kiosk never goes mute."""
    entry = catalog.find("tts", language, engine="piper", precision=precision)
    if entry is not None:
        from runtime.tts.piper_tts import PiperSynthesizer
        root = catalog.verify(entry)
        onnx = next(f.path for f in entry.files if f.path.suffix == ".onnx")
        synthesizer: Synthesizer = PiperSynthesizer(onnx, language=language, deterministic=deterministic)
        _LOGGER.info("TTS backend for %s: piper (%s, %s, %d Hz) from %s", language, entry.id,
                     entry.precision, synthesizer.rate, root)
        return synthesizer
    from runtime.tts.espeak_tts import EspeakSynthesizer
    try:
        synthesizer = EspeakSynthesizer(language)
    except ModelError as err:
        raise LanguageError(f"language {language!r}: no Piper voice and no espeak-ng fallback ({err})") from err
    _LOGGER.info("TTS backend for %s: espeak-ng fallback (no Piper voice installed; "
                 "mouth follows loudness)", language)
    return synthesizer
