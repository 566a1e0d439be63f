"""Which voice says an answer in the console: the kiosk's own choice per language, loaded once.

`KioskVoices` asks `make_synthesizer` (runtime/composition/backends.py) for the language with the
board's voice precision, as `edge-avatar run` does (Piper, Kokoro for Mandarin, else espeak-ng), and
keeps each voice once it is loaded. `ToneVoices` is the test double. Chosen once, when the app starts.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from runtime.tts.base import Synthesizer, ToneSynthesizer

_LOGGER = logging.getLogger(__name__)


class VoiceSource(Protocol):
    name: str

    @property
    def lock(self) -> threading.Lock:
        """Held while a voice speaks (Piper's phonemiser is process-global: one answer at a time)."""
        ...

    def voice(self, lang: str) -> Synthesizer: ...


class KioskVoices:
    name = "kiosk"

    def __init__(self, models_dir=None, precision: str = "auto"):
        self._models_dir, self._precision = models_dir, precision
        self._voices: dict[str, Synthesizer] = {}
        self._lock = threading.Lock()   # one load per language, and Piper's phonemiser is process-global

    @property
    def lock(self) -> threading.Lock:
        return self._lock

    def voice(self, lang: str) -> Synthesizer:
        with self._lock:
            if lang not in self._voices:
                from runtime.board.defaults import board_defaults, resolve
                from runtime.composition.backends import make_synthesizer
                from runtime.models.manifest import ModelCatalog
                precision, _ = resolve(self._precision, 0, board_defaults())
                self._voices[lang] = make_synthesizer(ModelCatalog.load(self._models_dir), lang, precision=precision)
                _LOGGER.info("console voice for %s: %s (%s)", lang, self._voices[lang].name, precision)
            return self._voices[lang]


class ToneVoices:
    """Test double: a tone with fake phoneme times, instantly."""

    name = "tone"

    def __init__(self):
        self.lock = threading.Lock()

    def voice(self, lang: str) -> Synthesizer:
        return ToneSynthesizer(lang)
