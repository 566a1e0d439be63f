"""AudioChunk conversion, file sources and sinks on the session time line."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from runtime.audio.chunk import AudioChunk
from runtime.audio.sinks import NullSink, WavFileSink
from runtime.audio.sources import WavFileSource, read_wav
from runtime.shared.errors import AudioInputError
from tests.conftest import write_wav


def tone(freq: float, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return 0.5 * np.sin(2 * np.pi * freq * t)


def test_chunk_knows_its_duration_and_end():
    chunk = AudioChunk(16000, 2, 1, bytes(3200), timestamp=1.5)
    assert chunk.frames == 1600 and chunk.seconds == pytest.approx(0.1)
    assert chunk.end == pytest.approx(1.6)


def test_conversion_keeps_pitch_and_length():
    stereo44 = np.repeat(tone(440, 1.0, 44100)[:, None], 2, axis=1)
    pcm = (stereo44 * 32767).astype("<i2").tobytes()
    chunk = AudioChunk(44100, 2, 2, pcm).converted(rate=16000, channels=1)
    assert chunk.rate == 16000 and chunk.channels == 1
    assert chunk.frames == pytest.approx(16000, abs=2)
    spectrum = np.abs(np.fft.rfft(chunk.float_samples()))
    assert np.argmax(spectrum) * 16000 / len(chunk.float_samples()) == pytest.approx(440, abs=2)


def test_bad_chunk_is_refused():
    with pytest.raises(ValueError, match="whole number of frames"):
        AudioChunk(16000, 2, 1, b"\x00\x00\x00")


def test_wav_source_converts_once_and_stamps_chunks(tmp_path):
    stereo = np.repeat(tone(300, 2.0, 48000)[:, None], 2, axis=1)
    path = write_wav(tmp_path / "in.wav", AudioChunk(48000, 2, 2, (stereo * 32767).astype("<i2").tobytes()))
    source = WavFileSource(path, paced=False, trailing_silence=0.5)
    chunks = list(source.chunks())
    assert all(c.rate == 16000 and c.channels == 1 for c in chunks)
    assert chunks[0].timestamp == 0.0
    for a, b in zip(chunks, chunks[1:]):
        assert b.timestamp == pytest.approx(a.end)
    assert chunks[-1].end == pytest.approx(2.5, abs=0.04)
    assert source.duration == pytest.approx(2.0, abs=0.01)


def test_unreadable_wav_names_the_file(tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF....not really a wav")
    with pytest.raises(AudioInputError, match="broken.wav: not a readable PCM WAV"):
        read_wav(bad)
    with pytest.raises(AudioInputError, match="no such audio file"):
        read_wav(tmp_path / "missing.wav")


def test_wav_sink_places_audio_on_the_session_time_line(tmp_path):
    sink = WavFileSink(tmp_path / "out.wav", rate=16000)
    beep = AudioChunk.from_float(tone(500, 0.5, 16000), 16000)
    assert sink.play(beep, now=1.0) == pytest.approx(1.0)
    # Queued behind the first: starts when it ends, not at `now`.
    assert sink.play(beep, now=1.1) == pytest.approx(1.5)
    assert sink.busy_until() == pytest.approx(2.0)
    sink.close()
    audio = read_wav(tmp_path / "out.wav").float_samples()
    assert np.abs(audio[:15000]).max() == 0.0          # silence before 1.0 s
    assert np.abs(audio[16000:32000]).max() > 0.4      # the two beeps
    assert len(audio) == 32000


def test_stopping_a_sink_drops_queued_audio(tmp_path):
    sink = WavFileSink(tmp_path / "out.wav", rate=16000)
    sink.play(AudioChunk.from_float(tone(500, 2.0, 16000), 16000), now=0.0)
    assert sink.stop(now=0.5) == pytest.approx(0.5)
    sink.close()
    with wave.open(str(tmp_path / "out.wav")) as wav:
        assert wav.getnframes() == 8000
    null = NullSink(16000)
    null.play(AudioChunk.silence(1.0, 16000), now=0.0)
    assert null.stop(0.25) == pytest.approx(0.25)


def test_stall_watch_declares_a_lost_device_then_retries_at_a_steady_pace():
    from runtime.audio.microphone import StallWatch
    w = StallWatch(lost_after_s=1.0, retry_every_s=2.0)
    assert w.heard(0.5) is None
    assert w.silent(1.2) is None                 # 0.7 s quiet: just a pause
    assert w.silent(1.6) == "lost"
    assert [w.silent(t) for t in (2.0, 3.0, 3.6, 4.0, 5.7)] == [None, None, "retry", None, "retry"]
    assert w.heard(6.0) == "back" and w.heard(6.1) is None
