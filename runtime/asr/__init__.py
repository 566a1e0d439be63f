"""Speech recognition behind one Protocol: Vosk (any model folder) or pocketsphinx."""

from .base import Recognizer

__all__ = ["Recognizer"]
