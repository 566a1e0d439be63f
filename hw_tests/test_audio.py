"""Audio: devices present, a tone loopback (frequency, round-trip latency), levels not clipped."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from hw_tests.tone import clipped_fraction, delay_seconds, dominant_frequency, tone
from runtime.audio.devices import has_input_device, has_output_device, quiet_stderr

RATE = 48000
TONE_HZ = 1000.0


@pytest.fixture(scope="module")
def audio_devices(simulate, faults):
    loop = None
    if simulate:
        from hw_tests.simulation import PulseLoopback
        loop = PulseLoopback(muted_mic="dead-mic" in faults)
        loop.activate()
    yield
    if loop:
        loop.close()


@pytest.mark.audio
def test_a_microphone_is_present(audio_devices):
    if not has_input_device():
        pytest.skip("no capture device found by PortAudio (is the USB microphone plugged in?)")


@pytest.mark.audio
def test_a_speaker_is_present(audio_devices):
    if not has_output_device():
        pytest.skip("no playback device found by PortAudio (is the speaker or HDMI audio connected?)")


@pytest.mark.audio
def test_tone_loopback(audio_devices, measure):
    if not (has_input_device() and has_output_device()):
        pytest.skip("needs both a microphone and a speaker (or --simulate)")
    import pyaudio
    with quiet_stderr():
        pa = pyaudio.PyAudio()
    recorded: list[bytes] = []
    try:
        def on_audio(data, *_):
            recorded.append(data)
            return (None, pyaudio.paContinue)

        mic = pa.open(format=pyaudio.paInt16, channels=1, rate=RATE, input=True, frames_per_buffer=1024,
                      stream_callback=on_audio)
        speaker = pa.open(format=pyaudio.paInt16, channels=1, rate=RATE, output=True, frames_per_buffer=1024)
        time.sleep(0.3)
        played = tone(TONE_HZ, 0.5, RATE, level=0.5)
        start_frames = sum(len(b) for b in recorded) // 2
        speaker.write((played * 32767).astype("<i2").tobytes())
        speaker.stop_stream()
        time.sleep(0.8)
        mic.stop_stream()
        mic.close()
        speaker.close()
    finally:
        pa.terminate()
    audio = np.frombuffer(b"".join(recorded), dtype="<i2").astype(np.float32) / 32767.0
    audio = audio[start_frames:]
    level_db = 20 * np.log10(max(1e-9, float(np.sqrt(np.mean(audio ** 2)))))
    measure("loopback level", level_db, "dBFS")
    assert level_db > -50, "the microphone heard nothing of the tone (dead or muted microphone?)"
    latency = delay_seconds(played, audio, RATE)
    heard = audio[int(latency * RATE):int(latency * RATE) + len(played)]
    measure("tone frequency", dominant_frequency(heard, RATE), "Hz")
    assert dominant_frequency(heard, RATE) == pytest.approx(TONE_HZ, rel=0.02)
    measure("round-trip latency", latency * 1000, "ms", "loopback_latency_ms_max")
    measure("clipped samples", clipped_fraction(heard) * 100, "%")
    assert clipped_fraction(heard) < 0.01, "the recording clips: lower the microphone gain"


@pytest.mark.audio
def test_the_echo_filters_barge_in_needs_are_installed(measure):
    """Barge-in needs both: WebRTC AEC3 (livekit) for what the recogniser hears, and libspeexdsp's
    linear filter (apt libspeexdsp1) to see a visitor start over the avatar's voice. Without them
    the kiosk still runs, but stops later when talked over (and says so in its log)."""
    from runtime.audio.chunk import AudioChunk
    from runtime.audio.echo import make_echo_canceller
    from runtime.audio.linear_echo import make_linear_echo
    assert make_echo_canceller("webrtc").name == "webrtc-aec3", "livekit's AudioProcessingModule did not load"
    linear = make_linear_echo()
    assert linear is not None, "libspeexdsp.so.1 not found: apt-get install libspeexdsp1"
    rng = np.random.default_rng(1)
    far = (rng.standard_normal(16000 * 3) * 0.1).astype(np.float32)
    echo = np.concatenate([np.zeros(80, np.float32), far[:-80]]) * 0.5        # 5 ms later, 6 dB down
    left = []
    for i in range(0, far.size, 512):
        rms = linear.residual_rms(AudioChunk.from_float(echo[i:i + 512], 16000, i / 16000), far[i:i + 512])
        if i >= 32000 and rms is not None:
            left.append(rms)
    removed = 20 * np.log10(np.sqrt(np.mean(echo[32000:] ** 2)) / np.sqrt(np.mean(np.square(left))))
    measure("linear_echo_removed", round(float(removed), 1), "dB")
    assert removed >= 10, f"the linear echo filter removed only {removed:.1f} dB"
