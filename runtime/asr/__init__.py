"""Speech recognition behind one Protocol: Whisper (CTranslate2), pocketsphinx, or Vosk (any model folder)."""

from .base import Recognizer

__all__ = ["Recognizer"]
