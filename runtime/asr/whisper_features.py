"""Whisper's input: the 80-band log-mel spectrogram of 16 kHz audio, in numpy.

The same computation as OpenAI's `whisper.audio.log_mel_spectrogram` and faster-whisper's
`FeatureExtractor` (400-sample Hann window, 160-sample hop, Slaney mel filters, log10, floor at
8 decades under the peak, scaled to about -1..1); tests/test_whisper_features.py checks it against
faster-whisper's when that is installed. Pure: arrays in, arrays out.
"""

from __future__ import annotations

import functools

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160
FRAMES_PER_S = SAMPLE_RATE // HOP        # 100 mel frames a second (the encoder halves them)
WINDOW_FRAMES = 3000                     # Whisper's 30 s window


@functools.lru_cache(maxsize=2)
def mel_filters(n_mels: int = 80) -> np.ndarray:
    """[n_mels, N_FFT // 2 + 1] Slaney-style mel filterbank (librosa's default, as Whisper uses)."""
    fft_freqs = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, log_step = min_log_hz / f_sp, np.log(6.4) / 27.0
    mels = np.linspace(0.0, 45.245640471924965, n_mels + 2)     # 0 Hz .. 8 kHz on the Slaney scale
    freqs = f_sp * mels
    high = mels >= min_log_mel
    freqs[high] = min_log_hz * np.exp(log_step * (mels[high] - min_log_mel))
    ramps = freqs[:, None] - fft_freqs[None, :]
    widths = np.diff(freqs)
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (freqs[2:n_mels + 2] - freqs[:n_mels]))[:, None]
    return weights.astype(np.float32)


def log_mel(audio: np.ndarray, n_mels: int = 80, pad_to: int | None = None) -> np.ndarray:
    """[n_mels, frames] features of float audio in -1..1 at 16 kHz, one frame per 10 ms.

    `pad_to`: pad the *audio* with silence to this many frames before the spectrogram (as OpenAI's
    Whisper pads every window with 30 s of zeros), so the padding is what the model saw in training.
    """
    audio = np.asarray(audio, dtype=np.float32)
    frames = len(audio) // HOP
    if pad_to is not None and pad_to > frames:
        audio = np.pad(audio, (0, (pad_to - frames) * HOP))
    padded = np.pad(audio, (N_FFT // 2, N_FFT // 2), mode="reflect" if len(audio) > N_FFT // 2 else "constant")
    n_frames = 1 + (len(padded) - N_FFT) // HOP
    strided = np.lib.stride_tricks.as_strided(padded, (n_frames, N_FFT), (padded.strides[0] * HOP, padded.strides[0]))
    window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)
    power = np.abs(np.fft.rfft(strided * window, axis=-1)) ** 2          # [frames + 1, bins]
    mel = mel_filters(n_mels) @ power[:-1].T.astype(np.float32)          # the last frame is dropped, as Whisper does
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    features = ((log_spec + 4.0) / 4.0).astype(np.float32)
    if pad_to is not None:
        features = features[:, :pad_to]
    return features
