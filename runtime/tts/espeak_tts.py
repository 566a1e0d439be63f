"""espeak-ng (GPL-3.0+, run as a separate program): the voice of last resort.

Used for a language with no other voice installed, and while a failed voice is rebuilt, so the
kiosk never goes mute. It gives no phoneme timings: the avatar's mouth then follows the audio.

Mandarin goes to the `cmn-latn-pinyin` voice as tone-numbered pinyin ("qing3 wen4 …", digits and
symbols first made speakable): Debian's `cmn` voice has no Chinese dictionary and reads Han
characters as English letter names, so espeak-ng is never given a Han character.
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
from .voice_ids import espeak_voice_id

DEFAULT_SPEED_WPM = 165
ESPEAK_VOICES = {"zh": "cmn-latn-pinyin", "en": "en-us"}


def _as_written(text: str) -> str:
    return text


def _as_pinyin(text: str) -> str:
    from .zh_normalise import speakable_zh
    from .zh_phonemes import espeak_pinyin
    return espeak_pinyin(speakable_zh(text))


# What each voice is given: espeak-ng's own text rules for English, pinyin for Mandarin.
ESPEAK_INPUT = {"en": _as_written, "zh": _as_pinyin}


class EspeakSynthesizer:
    name = "espeak-ng"

    def __init__(self, language: str, executable: str = "espeak-ng", speed_wpm: int = DEFAULT_SPEED_WPM):
        exe = shutil.which(executable)
        if exe is None:
            raise ModelError(f"{executable}: program not found (apt-get install espeak-ng)")
        if language not in ESPEAK_VOICES:
            raise ModelError(f"espeak-ng: no voice mapped for language {language!r}")
        self._exe = exe
        self._voice = ESPEAK_VOICES[language]
        self._input = ESPEAK_INPUT[language]
        if language == "zh":
            _check_pinyin_available()
        self._speed = speed_wpm
        self.language = language
        self.rate = 22050

    def synthesize(self, text: str, pace: float = 1.0) -> Iterator[SpeechSegment]:
        for piece in split_for_speech(text):
            yield from self.synthesize_piece(piece, pace)

    def synthesize_piece(self, piece: str, pace: float = 1.0) -> Iterator[SpeechSegment]:
        said = self._input(piece)
        if said:
            yield SpeechSegment(piece, self._run(said, pace), None)

    @property
    def voice_id(self) -> str:
        """What decides this voice's audio (the answer cache's key)."""
        return espeak_voice_id(self._voice, self._speed)

    def command(self, said: str, pace: float = 1.0) -> list[str]:
        """The espeak-ng command line that speaks `said` (already in the voice's input form)."""
        return [self._exe, "-v", self._voice, "-s", str(round(self._speed * pace)), "--stdout", "--", said]

    def _run(self, text: str, pace: float = 1.0) -> AudioChunk:
        try:
            done = subprocess.run(self.command(text, pace),
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


def _check_pinyin_available() -> None:
    """pypinyin is imported with the first Mandarin answer (~55 MB), not when the fallback is made."""
    import importlib.util
    if importlib.util.find_spec("pypinyin") is None:
        raise ModelError("espeak-ng zh: pypinyin is not installed (pip install pypinyin): without it Mandarin "
                         "cannot be turned into the pinyin the cmn-latn-pinyin voice reads")
