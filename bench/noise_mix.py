"""Real hall noise mixed under real speech at a stated SNR (pure, seeded; the WAV writer aside).

The recipe (issue "Real visitors' speech through `edge-avatar run`"):

- the speech stays at its recorded level;
- the noise is scaled so that the speech's RMS over its *voiced frames* is `snr_db` above the
  noise's RMS (over the whole noise excerpt laid into the mix, lead and tail included);
- 1 s of noise before and 1 s after the speech (a hall is never silent);
- the noise excerpt starts at a seeded random offset (a noise shorter than the mix is looped);
- the mix is 16-bit: if it would clip, the whole mix (speech and noise together) is scaled down,
  so the SNR is kept and nothing clips.

Voiced frames: 20 ms frames at least `VOICED_ABOVE_FLOOR_DB` louder than the recording's floor
(its quietest 10 % of frames), and never quieter than `VOICED_BELOW_PEAK_DB` under its loudest.
"""

from __future__ import annotations

import wave
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 16000
FRAME_S = 0.02
FLOOR_PERCENTILE = 10
VOICED_ABOVE_FLOOR_DB = 15.0
VOICED_BELOW_PEAK_DB = 40.0
FULL_SCALE = 32768.0
CLIP_HEADROOM = 0.98          # the loudest sample of a mix that had to be scaled, as a share of full scale


@dataclass(frozen=True)
class Mix:
    samples: np.ndarray       # int16, lead + speech + tail
    snr_db: float             # the target
    offset_s: float           # where in the noise file the excerpt starts
    noise_gain: float         # applied to the noise file's samples
    clip_scale: float         # 1.0 unless the mix had to be scaled down not to clip
    lead_s: float
    tail_s: float


def to_float(samples: np.ndarray) -> np.ndarray:
    """int16 (or float) samples as float64 in [-1, 1)."""
    if samples.dtype == np.int16:
        return samples.astype(np.float64) / FULL_SCALE
    return np.asarray(samples, dtype=np.float64)


def frame_rms(x: np.ndarray, rate: int = RATE, frame_s: float = FRAME_S) -> np.ndarray:
    hop = max(1, round(frame_s * rate))
    n = len(x) // hop
    return np.sqrt(np.mean(x[:n * hop].reshape(n, hop) ** 2, axis=1)) if n else np.zeros(0)


def voiced_mask(speech: np.ndarray, rate: int = RATE, frame_s: float = FRAME_S) -> np.ndarray:
    """Per-sample bool: the sample lies in a voiced frame (see the module's docstring)."""
    x = to_float(speech)
    rms = frame_rms(x, rate, frame_s)
    hop = max(1, round(frame_s * rate))
    mask = np.zeros(len(x), dtype=bool)
    if not len(rms) or rms.max() <= 0:
        return mask
    floor = max(float(np.percentile(rms, FLOOR_PERCENTILE)), 1e-7)
    peak = float(rms.max())
    threshold = max(floor * 10 ** (VOICED_ABOVE_FLOOR_DB / 20), peak * 10 ** (-VOICED_BELOW_PEAK_DB / 20))
    threshold = min(threshold, peak)        # a recording with no quiet part: its loudest frames
    mask[:len(rms) * hop] = np.repeat(rms >= threshold, hop)
    return mask


def voiced_intervals(speech: np.ndarray, rate: int = RATE, offset_s: float = 0.0) -> list[tuple[float, float]]:
    """The voiced frames as merged (start_s, end_s) spans, shifted by `offset_s` (a mix's lead)."""
    mask = voiced_mask(speech, rate)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(offset_s + a / rate, offset_s + b / rate) for a, b in zip(edges[::2], edges[1::2])]


def voiced_rms(speech: np.ndarray, rate: int = RATE) -> float:
    x = to_float(speech)
    mask = voiced_mask(x, rate)
    return float(np.sqrt(np.mean(x[mask] ** 2))) if mask.any() else 0.0


def rms(x: np.ndarray) -> float:
    x = to_float(x)
    return float(np.sqrt(np.mean(x ** 2))) if len(x) else 0.0


def mix_seed(seed: int, noise_name: str, speech_id: str) -> int:
    """One excerpt per (noise, speech file): the same at every SNR, stable across runs and machines."""
    return zlib.crc32(f"{seed}:{noise_name}:{speech_id}".encode())


def noise_excerpt(noise: np.ndarray, length: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """`length` samples of the noise from a random offset (the noise looped if it is too short)."""
    noise = to_float(noise)
    if len(noise) == 0:
        raise ValueError("noise: empty recording")
    if len(noise) >= length:
        offset = int(rng.integers(0, len(noise) - length + 1))
        return noise[offset:offset + length], offset
    offset = int(rng.integers(0, len(noise)))
    looped = np.tile(noise, length // len(noise) + 2)
    return looped[offset:offset + length], offset


def mix(speech: np.ndarray, noise: np.ndarray, snr_db: float, seed: int, rate: int = RATE,
        lead_s: float = 1.0, tail_s: float = 1.0) -> Mix:
    """The speech with the noise under it at `snr_db` (speech voiced RMS over noise RMS)."""
    lead, tail = round(lead_s * rate), round(tail_s * rate)
    x = to_float(speech)
    padded = np.concatenate([np.zeros(lead), x, np.zeros(tail)])
    excerpt, offset = noise_excerpt(noise, len(padded), np.random.default_rng(seed))
    s_rms, n_rms = voiced_rms(x, rate), rms(excerpt)
    if s_rms <= 0 or n_rms <= 0:
        raise ValueError("mix: speech with no voiced frame, or silent noise")
    gain = s_rms / (n_rms * 10 ** (snr_db / 20))
    out = padded + gain * excerpt
    peak = float(np.max(np.abs(out))) if len(out) else 0.0
    scale = 1.0 if peak * FULL_SCALE <= 32767 else CLIP_HEADROOM / peak
    samples = np.clip(np.round(out * scale * FULL_SCALE), -32768, 32767).astype(np.int16)
    return Mix(samples, snr_db, offset / rate, gain, scale, lead / rate, tail / rate)


def measured_snr(m: Mix, speech: np.ndarray, rate: int = RATE) -> float:
    """The mix's SNR read back from it: the speech (as scaled) over what else is in the mix."""
    x = to_float(speech) * m.clip_scale
    lead = round(m.lead_s * rate)
    padded = np.zeros(len(m.samples))
    padded[lead:lead + len(x)] = x
    residual = to_float(m.samples) - padded
    return 20 * np.log10(voiced_rms(x, rate) / max(rms(residual), 1e-12))


def read_wav16(path: Path) -> np.ndarray:
    """16 kHz mono 16-bit samples of a WAV file; anything else is refused, naming the file."""
    with wave.open(str(path), "rb") as wav:
        shape = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
        if shape != (RATE, 1, 2):
            raise ValueError(f"{path}: expected 16 kHz mono 16-bit PCM, got {shape[0]} Hz, "
                             f"{shape[1]} ch, {8 * shape[2]}-bit")
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).copy()


def write_wav16(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.asarray(samples, dtype=np.int16).tobytes())
    return path
