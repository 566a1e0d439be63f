"""Speech synthesis behind one Protocol: Piper (GPL-3.0+, kept behind this interface) or espeak-ng."""

from .base import PhonemeTiming, SpeechSegment, Synthesizer

__all__ = ["PhonemeTiming", "SpeechSegment", "Synthesizer"]
