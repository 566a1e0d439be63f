"""Audio files of any common format, read through libsndfile (the `soundfile` package).

WAV of any common sub-format (PCM 8/16/24/32 bit, float, WAVE_FORMAT_EXTENSIBLE),
FLAC, OGG/Vorbis and whatever else libsndfile reads; any rate; any channel count.
`read_audio_file` returns the whole file in the pipeline's format (16-bit mono at
`PIPELINE_RATE` unless asked otherwise): channels averaged, resampled with soxr.

16-bit PCM goes through `AudioChunk.converted` exactly as the stdlib WAV reader's
audio did, and every other sample format is decoded to float by libsndfile and then
converted by the same steps (average, soxr HQ, round to int16): a file the old
reader accepted gives the same bytes as before.
"""

from __future__ import annotations

import logging
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from runtime.shared.errors import AudioInputError

from .chunk import PCM16_WIDTH, PIPELINE_RATE, AudioChunk

_LOGGER = logging.getLogger(__name__)

_INT16_MAX = 32767.0      # as in chunk.py: full scale maps to +-32767

EXPECTED = "expected WAV (PCM 8/16/24/32-bit or float, plain or EXTENSIBLE), FLAC or OGG/Vorbis"


@dataclass(frozen=True)
class AudioFile:
    """A whole file converted to the pipeline's format, and what it was."""

    audio: AudioChunk        # 16-bit mono at the rate asked for
    rate: int                # the file's own rate
    channels: int            # the file's own channel count
    kind: str                # e.g. "WAVEX FLOAT", "FLAC PCM_24", "OGG VORBIS"


def read_audio_file(path: Path, rate: int = PIPELINE_RATE) -> AudioFile:
    """Read a whole audio file as 16-bit mono at `rate`; AudioInputError names what is wrong."""
    path = Path(path)
    if not path.exists():
        raise AudioInputError(f"{path}: no such audio file")
    if not path.is_file():
        raise AudioInputError(f"{path}: not an audio file but a directory or device ({EXPECTED})")
    sf = _soundfile()
    if sf is None:
        return _read_with_stdlib(path, rate)
    try:
        info = sf.info(str(path))
        if info.subtype == "PCM_16":
            data, file_rate = sf.read(str(path), dtype="int16", always_2d=True)
            raw = AudioChunk(file_rate, PCM16_WIDTH, data.shape[1], data.astype("<i2").tobytes())
            audio = raw.converted(rate=rate, channels=1)
        else:
            data, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
            audio = _float_to_pcm16(data, file_rate, rate)
    except (sf.SoundFileError, ValueError) as err:
        reason = str(getattr(err, "error_string", "") or err).strip().rstrip(".")
        raise AudioInputError(f"{path}: not a readable PCM WAV file or other audio file: "
                              f"{reason} ({EXPECTED})") from err
    except MemoryError:
        raise AudioInputError(f"{path}: too long to read into memory") from None
    return AudioFile(audio, int(file_rate), int(data.shape[1]), f"{info.format} {info.subtype}")


def _float_to_pcm16(data: np.ndarray, file_rate: int, rate: int) -> AudioChunk:
    """(frames, channels) float samples to 16-bit mono at `rate`: the steps of AudioChunk.converted."""
    data = np.asarray(data, dtype=np.float32)
    if data.shape[1] > 1:
        data = data.mean(axis=1, keepdims=True)
    if file_rate != rate and len(data):
        data = soxr.resample(data, file_rate, rate, quality="HQ")
    pcm = np.clip(np.round(data * _INT16_MAX), -_INT16_MAX, _INT16_MAX).astype("<i2")
    return AudioChunk(rate, PCM16_WIDTH, 1, pcm.tobytes())


def _soundfile():
    """The soundfile module, or None when it or its libsndfile cannot be loaded."""
    try:
        import soundfile
    except (ImportError, OSError) as err:   # OSError: the package is there but libsndfile is not
        _LOGGER.warning("soundfile/libsndfile not available (%s): reading plain PCM WAV only", err)
        return None
    return soundfile


def read_wav(path: Path) -> AudioChunk:
    """Read a whole plain PCM WAV file as one AudioChunk in its own format (Python's wave module)."""
    try:
        with wave.open(str(path), "rb") as wav:
            return AudioChunk(wav.getframerate(), wav.getsampwidth(), wav.getnchannels(),
                              wav.readframes(wav.getnframes()))
    except FileNotFoundError:
        raise AudioInputError(f"{path}: no such audio file") from None
    except (wave.Error, EOFError, ValueError) as err:
        raise AudioInputError(f"{path}: not a readable PCM WAV file ({err})") from err


def _read_with_stdlib(path: Path, rate: int) -> AudioFile:
    """Without libsndfile: plain PCM WAV through Python's wave module, as before soundfile."""
    raw = read_wav(path)
    audio = raw.converted(rate=rate, channels=1)
    return AudioFile(audio, raw.rate, raw.channels, f"WAV PCM_{8 * raw.width}")
