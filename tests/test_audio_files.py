"""Input files of any common format through libsndfile: WAV sub-formats, FLAC, OGG/Vorbis.

Each file is made here from a real recording (cathy-en, 16 kHz mono 16-bit), at
another rate / channel count / sample format, and read back by the file source:
it must come out as 16 kHz mono chunks of the recording's length that sound like
the recording. Plain PCM files, which the stdlib reader took before, must give
the same bytes as before.
"""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from runtime.audio import audio_files
from runtime.audio.chunk import AudioChunk
from runtime.audio.sources import AudioFileSource, WavFileSource, read_audio_file
from runtime.shared.errors import AudioInputError
from tests.conftest import SHARED, write_wav

RECORDING = SHARED / "speech" / "cathy-en" / "arctic_a0071_1592746861.wav"
CHUNK_FRAMES = 512


@pytest.fixture(scope="module")
def original() -> np.ndarray:
    """The recording as float samples at 16 kHz mono."""
    if not RECORDING.exists():
        pytest.fail(f"{RECORDING}: the shared speech recordings must sit beside the checkout")
    data, rate = sf.read(str(RECORDING), dtype="float32")
    assert rate == 16000 and data.ndim == 1
    return data


def _stereo(mono16k: np.ndarray, rate: int) -> np.ndarray:
    """Left the recording, right the same at half level: the downmix is 0.75 of it."""
    x = soxr.resample(mono16k, 16000, rate, quality="VHQ")
    return np.stack([x, 0.5 * x], axis=1)


def _heard(source: WavFileSource) -> tuple[list[AudioChunk], np.ndarray]:
    chunks = list(source.chunks())
    audio = np.concatenate([c.float_samples() for c in chunks])
    return chunks, audio


def _similarity(got: np.ndarray, want: np.ndarray, max_lag: int = 160) -> tuple[float, int]:
    """Best normalised correlation of `got` with `want` over lags up to +-10 ms, and that lag."""
    best = (-1.0, 0)
    n = len(want)
    for lag in range(-max_lag, max_lag + 1):
        a = got[max(0, lag):max(0, lag) + n]
        b = want[max(0, -lag):max(0, -lag) + len(a)]
        a = a[:len(b)]
        r = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
        best = max(best, (r, lag))
    return best


def _db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12)


def _legacy_chunks(path: Path, trailing_silence: float) -> list[AudioChunk]:
    """What the file source handed out before libsndfile: wave module, AudioChunk.converted."""
    with wave.open(str(path), "rb") as wav:
        raw = AudioChunk(wav.getframerate(), wav.getsampwidth(), wav.getnchannels(),
                         wav.readframes(wav.getnframes()))
    audio = raw.converted(rate=16000, channels=1)
    whole = AudioChunk(16000, 2, 1, audio.audio + AudioChunk.silence(trailing_silence, 16000).audio)
    return [whole.slice(s, s + CHUNK_FRAMES) for s in range(0, whole.frames, CHUNK_FRAMES)]


# Files other recorders write: each with what it is and how far its content may be from the original.
FORMATS = {
    "wavex-float-44k1-stereo": dict(ext="wav", format="WAVEX", subtype="FLOAT", rate=44100, stereo=True),
    "wav-pcm24-48k-mono": dict(ext="wav", format="WAV", subtype="PCM_24", rate=48000, stereo=False),
    "wav-pcm24-48k-stereo": dict(ext="wav", format="WAV", subtype="PCM_24", rate=48000, stereo=True),
    "flac-16-22k05-stereo": dict(ext="flac", format="FLAC", subtype="PCM_16", rate=22050, stereo=True),
    "flac-24-16k-mono": dict(ext="flac", format="FLAC", subtype="PCM_24", rate=16000, stereo=False),
    "ogg-vorbis-48k-stereo": dict(ext="ogg", format="OGG", subtype="VORBIS", rate=48000, stereo=True),
    "ogg-vorbis-16k-mono": dict(ext="ogg", format="OGG", subtype="VORBIS", rate=16000, stereo=False),
}


@pytest.mark.parametrize("name", FORMATS)
def test_a_recording_in_another_format_plays_as_16k_mono(name, original, tmp_path):
    spec = FORMATS[name]
    rate = spec["rate"]
    data = _stereo(original, rate) if spec["stereo"] else soxr.resample(original, 16000, rate, quality="VHQ")
    path = tmp_path / f"{name}.{spec['ext']}"
    sf.write(str(path), data, rate, format=spec["format"], subtype=spec["subtype"])
    assert sf.info(str(path)).subtype == spec["subtype"]

    source = AudioFileSource(path, paced=False, trailing_silence=0.5)
    chunks, audio = _heard(source)

    assert all(c.rate == 16000 and c.channels == 1 and c.width == 2 for c in chunks)
    assert all(c.frames == CHUNK_FRAMES for c in chunks[:-1])
    assert chunks[0].timestamp == 0.0
    for a, b in zip(chunks, chunks[1:]):
        assert b.timestamp == pytest.approx(a.end)
    seconds = len(original) / 16000
    assert source.duration == pytest.approx(seconds, abs=0.002)
    assert chunks[-1].end == pytest.approx(seconds + 0.5, abs=0.002)
    assert np.abs(audio[int(source.duration * 16000) + 16:]).max() < 1e-3, "the trailing silence is silent"

    want = 0.75 * original if spec["stereo"] else original
    speech = audio[:len(want)]
    similarity, lag = _similarity(speech, want)
    lossy = spec["subtype"] == "VORBIS"
    assert similarity > (0.9 if lossy else 0.999), (similarity, lag)
    assert abs(lag) <= (16 if lossy else 0), lag
    assert _db(speech) == pytest.approx(_db(want), abs=1.0 if lossy else 0.05)


def test_the_extensible_wav_of_the_issue_is_read(original, tmp_path):
    """44.1 kHz stereo WAVE_FORMAT_EXTENSIBLE (65534): refused by the stdlib reader, read now."""
    path = tmp_path / "recorder.wav"
    sf.write(str(path), _stereo(original, 44100), 44100, format="WAVEX", subtype="PCM_16")
    assert struct.unpack_from("<H", path.read_bytes(), 20)[0] == 0xFFFE
    with pytest.raises(wave.Error, match="65534"), wave.open(str(path), "rb"):
        pass

    decoded = read_audio_file(path)
    assert (decoded.rate, decoded.channels, decoded.kind) == (44100, 2, "WAVEX PCM_16")
    assert decoded.audio.rate == 16000 and decoded.audio.channels == 1
    similarity, lag = _similarity(decoded.audio.float_samples(), 0.75 * original)
    assert similarity > 0.999 and lag == 0


@pytest.mark.parametrize("rate,channels,width", [(16000, 1, 2), (48000, 2, 2), (44100, 1, 1), (22050, 2, 4)])
def test_plain_pcm_wav_gives_the_same_chunks_as_before(rate, channels, width, original, tmp_path):
    x = soxr.resample(original, 16000, rate, quality="VHQ") if rate != 16000 else original
    if channels == 2:
        x = np.stack([x, -0.3 * x], axis=1)
    path = tmp_path / "plain.wav"
    sf.write(str(path), x, rate, subtype={1: "PCM_U8", 2: "PCM_16", 4: "PCM_32"}[width], format="WAV")
    before = _legacy_chunks(path, trailing_silence=1.0)

    source = WavFileSource(path, paced=False)
    now = [(c.rate, c.width, c.channels, c.audio, c.timestamp) for c in source.chunks()]
    assert now == [(c.rate, c.width, c.channels, c.audio, c.timestamp) for c in before]
    with wave.open(str(path), "rb") as wav:
        assert source.duration == _legacy_chunks(path, 0.0)[-1].end
        if (rate, channels, width) == (16000, 1, 2):
            assert b"".join(n[3] for n in now)[:wav.getnframes() * 2] == wav.readframes(wav.getnframes())


def test_the_run_command_opens_a_flac_input(original, tmp_path):
    from runtime.composition.app import open_source
    from runtime.composition.config import KioskConfig

    path = tmp_path / "question.flac"
    sf.write(str(path), _stereo(original, 48000), 48000, subtype="PCM_24")
    source = open_source(KioskConfig(input=str(path), pace="fast"))
    assert source.duration == pytest.approx(len(original) / 16000, abs=0.002)
    assert next(iter(source.chunks())).rate == 16000


def _flac_bytes(original, tmp_path) -> bytes:
    path = tmp_path / "whole.flac"
    sf.write(str(path), original, 16000, subtype="PCM_16")
    return path.read_bytes()


@pytest.mark.parametrize("name,content", [
    ("garbage.wav", lambda o, t: b"this is not audio at all, just some text"),
    ("empty.flac", lambda o, t: b""),
    ("cut-header.wav", lambda o, t: (write_wav(t / "x.wav", AudioChunk.silence(0.5, 16000))).read_bytes()[:20]),
    ("cut-in-half.flac", lambda o, t: _flac_bytes(o, t)[:len(_flac_bytes(o, t)) // 2]),
    ("noise.ogg", lambda o, t: bytes(np.random.default_rng(3).integers(0, 256, 4000, dtype=np.uint8))),
])
def test_an_unreadable_file_names_itself_and_what_was_expected(name, content, original, tmp_path):
    bad = tmp_path / name
    bad.write_bytes(content(original, tmp_path))
    with pytest.raises(AudioInputError) as caught:
        WavFileSource(bad, paced=False)
    message = str(caught.value)
    assert message.startswith(f"{bad}: ")
    assert "not a readable" in message and "expected WAV" in message and "FLAC" in message


def test_missing_empty_and_directory_inputs_are_clear(tmp_path):
    with pytest.raises(AudioInputError, match="missing.flac: no such audio file"):
        WavFileSource(tmp_path / "missing.flac", paced=False)
    header_only = write_wav(tmp_path / "header.wav", AudioChunk(16000, 2, 1, b""))
    with pytest.raises(AudioInputError, match="header.wav: the audio file holds no audio"):
        WavFileSource(header_only, paced=False)
    with pytest.raises(AudioInputError, match=f"{tmp_path}: not an audio file"):
        WavFileSource(tmp_path, paced=False)


def test_without_libsndfile_plain_wav_still_plays(original, tmp_path, monkeypatch):
    plain = write_wav(tmp_path / "plain.wav", AudioChunk.from_float(original, 16000))
    fancy = tmp_path / "fancy.wav"
    sf.write(str(fancy), _stereo(original, 44100), 44100, format="WAVEX", subtype="FLOAT")
    with_lib = [c.audio for c in WavFileSource(plain, paced=False).chunks()]

    monkeypatch.setattr(audio_files, "_soundfile", lambda: None)
    assert [c.audio for c in WavFileSource(plain, paced=False).chunks()] == with_lib
    with pytest.raises(AudioInputError, match="fancy.wav: not a readable PCM WAV file"):
        WavFileSource(fancy, paced=False)
