"""`edge-avatar say`: a line spoken exactly as the kiosk would speak it, into a labelled WAV.

The voice is the one `run` chooses for the language (the same catalog, precision, threads and
order: an admin's or a bundle's voice first, Kokoro for Mandarin, espeak-ng last) unless `--voice`
names another; the text goes through the voice's own normalisation (Mandarin: `zh_normalise`) and
clause splitting, as on the `speech-output` thread; the WAV is written by the kiosk's own
`WavFileSink`, so it carries the same implicit AI label and C2PA manifest as every WAV the kiosk
writes (naming the voice, and the content pack when one is given).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from runtime.audio.sinks import WavFileSink
from runtime.board.defaults import board_defaults, resolve
from runtime.models.manifest import ModelCatalog
from runtime.shared.errors import ConfigError

from .backends import make_synthesizer
from .config import KioskConfig
from .file_labelling import labellers

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Said:
    path: Path
    voice: str          # engine and voice id
    seconds: float
    clauses: int


def kiosk_voice(lang: str, voice: str | None = None, cfg: KioskConfig | None = None):
    """(voice, WAV labeller): the voice `run` would speak `lang` with (or `voice`), and the labeller
    of the kiosk's answer WAV for it."""
    cfg = cfg or KioskConfig()
    catalog = ModelCatalog.load(cfg.models_dir, *cfg.fleet_model_dirs)
    precision, _ = resolve(cfg.voice_precision, cfg.inference_threads, board_defaults())
    synth = make_synthesizer(catalog, lang, precision=precision, voice=voice)
    _, audio_labeller = labellers(cfg, catalog, lang, precision)
    return synth, audio_labeller


def speak_to_file(synth, labeller, text: str, out: Path) -> Said:
    """`text` through the voice, clause by clause as the speech worker hands it on, into a labelled WAV."""
    if not text.strip():
        raise ConfigError("say: expected a text to speak, got an empty one")
    if out.suffix.lower() != ".wav":
        raise ConfigError(f"--out {out}: expected a .wav file")
    sink = WavFileSink(out, synth.rate, labeller)
    clauses, seconds = 0, 0.0
    for segment in synth.synthesize(text):
        sink.play(segment.audio, seconds)
        seconds += segment.audio.seconds
        clauses += 1
    sink.close()
    voice_id = getattr(synth, "voice_id", None) or getattr(synth, "name", "?")
    _LOGGER.info("said %d clause(s), %.2f s, in %s (%s) to %s", clauses, seconds, voice_id, synth.language, out)
    return Said(out, f"{synth.name} {voice_id}", seconds, clauses)


def say_to_file(text: str, out: Path, lang: str, voice: str | None = None, cfg: KioskConfig | None = None) -> Said:
    """Speak `text` in `lang` with the kiosk's voice (or `voice`) into `out` (a labelled WAV)."""
    if not text.strip():
        raise ConfigError("say: expected a text to speak, got an empty one")
    synth, labeller = kiosk_voice(lang, voice, cfg)
    return speak_to_file(synth, labeller, text, out)
