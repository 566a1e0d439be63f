"""espeak-ng (GPL-3.0+, run as a separate program): the voice of last resort.

Used for a language with no Piper voice installed (Mandarin today), so the kiosk
never goes mute. It gives no phoneme timings: the avatar's mouth then follows
the audio's loudness.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from typing import Iterator

from runtime.shared.errors import ModelError, TtsError

from ..audio.chunk import AudioChunk
from .base import SpeechSegment
from .clauses import split_for_speech

ESPEAK_VOICES = {"zh": "cmn", "en": "en-us"}


class EspeakSynthesizer:
    name = "espeak-ng"

    def __init__(self, language: str, executable: str = "espeak-ng", speed_wpm: int = 165):
        exe = shutil.which(executable)
        if exe is None:
            raise ModelError(f"{executable}: program not found (apt-get install espeak-ng)")
        if language not in ESPEAK_VOICES:
            raise ModelError(f"espeak-ng: no voice mapped for language {language!r}")
        self._exe = exe
        self._voice = ESPEAK_VOICES[language]
        self._speed = speed_wpm
        self.language = language
        self.rate = 22050

    def synthesize(self, text: str) -> Iterator[SpeechSegment]:
        for piece in split_for_speech(text):
            yield SpeechSegment(piece, self._run(piece), None)

    def _run(self, text: str) -> AudioChunk:
        try:
            done = subprocess.run([self._exe, "-v", self._voice, "-s", str(self._speed), "--stdout", text],
                                  capture_output=True, timeout=30, check=True)
        except (subprocess.SubprocessError, OSError) as err:
            raise TtsError(f"espeak-ng -v {self._voice}: failed ({err})") from err
        try:
            with wave.open(io.BytesIO(done.stdout), "rb") as wav:
                chunk = AudioChunk(wav.getframerate(), wav.getsampwidth(), wav.getnchannels(),
                                   wav.readframes(wav.getnframes()))
        except (wave.Error, EOFError) as err:
            raise TtsError(f"espeak-ng -v {self._voice}: output is not WAV ({err})") from err
        self.rate = chunk.rate
        return chunk.converted(channels=1)
