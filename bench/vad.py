"""Choose the VAD by measurement: Silero vs WebRTC on speech in synthetic mall noise.

Visitor speech (Piper) is mixed with babble (other Piper sentences, overlapped
and quieter) and pink noise at several SNRs. Truth per 32 ms frame comes from
the clean speech's loudness. Reports frame accuracy, false alarms on non-speech
frames, misses on speech frames, and CPU per second of audio.

    python bench/vad.py [--json OUT]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, print_table, write_json  # noqa: E402
from runtime.audio.chunk import AudioChunk  # noqa: E402
from runtime.audio.levels import frame_rms  # noqa: E402
from runtime.composition.backends import make_synthesizer
from runtime.listening.vad import SileroVad, WebRtcVad
from runtime.models.manifest import ModelCatalog

RATE = 16000
VISITOR = ["Where is the cinema?", "Can I bring my dog into the mall?", "How much is parking after two hours?",
           "I lost my child, please help me.", "Which floor is the food court on?",
           "Where can I rent a power bank?"]
BABBLE = ["Let's meet at the coffee shop later.", "Did you see the new shoes in that store?",
          "We should buy some groceries before we go home.", "The kids want ice cream again.",
          "My phone battery is almost empty.", "That movie was much better than I expected."]
SNRS_DB = (60, 20, 10, 5)  # 60 dB: practically clean


def speech(synth, text: str) -> np.ndarray:
    audio = np.concatenate([s.audio.float_samples() for s in synth.synthesize(text)])
    return AudioChunk.from_float(audio, synth.rate).converted(rate=RATE).float_samples()


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(1, np.arange(len(spectrum))))
    x = np.fft.irfft(spectrum, n)
    return x / np.abs(x).max()


def scene(synth, rng):
    clean = [np.zeros(RATE)]
    for text in VISITOR:
        clean += [speech(synth, text), np.zeros(int(rng.uniform(0.8, 1.6) * RATE))]
    clean = np.concatenate(clean)
    babble = np.zeros_like(clean)
    for text in BABBLE * 2:
        s = speech(synth, text)
        at = int(rng.uniform(0, len(clean) - len(s)))
        babble[at:at + len(s)] += s * rng.uniform(0.3, 0.6)
    hum = pink(len(clean), rng)
    noises = {"pink": hum, "babble": babble + 0.3 * hum}
    return clean, {k: v / np.sqrt(np.mean(v ** 2)) for k, v in noises.items()}


def evaluate(vad, mix: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, float]:
    n = vad.frame_samples
    pcm = (np.clip(mix, -1, 1) * 32767).astype("<i2")
    probs, t0 = [], time.perf_counter()
    for i in range(0, len(pcm) - n + 1, n):
        probs.append(vad.speech_probability(pcm[i:i + n].tobytes()))
    cpu = time.perf_counter() - t0
    # Resample decisions onto the truth's 10 ms grid.
    decisions = np.array(probs) >= 0.5
    index = np.minimum(np.arange(len(truth)) * 160 // n, len(decisions) - 1)
    decided = decisions[index]
    return decided, cpu / (len(mix) / RATE)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    synth = make_synthesizer(ModelCatalog.load(), "en", deterministic=True)
    clean, noises = scene(synth, rng)
    keep = len(clean) // 160 * 160
    clean = clean[:keep]
    rms = frame_rms(clean, RATE)
    truth = rms > rms.max() * 10 ** (-35 / 20)
    result, rows = {"machine": machine(), "snr_db": {}}, []
    speech_rms = np.sqrt(np.mean(clean[np.repeat(truth, 160)[:len(clean)]] ** 2))
    for kind, snr in [("pink", s) for s in SNRS_DB] + [("babble", s) for s in SNRS_DB[1:]]:
        noise = noises[kind][:keep]
        mix = (clean + noise * speech_rms / 10 ** (snr / 20)) / max(1e-9, speech_rms) * 0.1
        for vad in (SileroVad(), WebRtcVad()):
            decided, cpu = evaluate(vad, mix, truth)
            t = truth[:len(decided)]
            stats = {"accuracy": float(np.mean(decided == t)),
                     "false_alarm": float(np.mean(decided[~t])), "miss": float(np.mean(~decided[t])),
                     "cpu_s_per_audio_s": cpu}
            result["snr_db"].setdefault(f"{kind} {snr}", {})[vad.name] = {k: round(v, 4) for k, v in stats.items()}
            rows.append((f"{kind:6} {snr:>2} dB SNR  {vad.name:7}",
                         f"accuracy {stats['accuracy']:.1%}  false alarms {stats['false_alarm']:.1%}  "
                         f"misses {stats['miss']:.1%}  CPU {stats['cpu_s_per_audio_s'] * 1000:.1f} ms/s"))
    print(f"machine: {result['machine']}")
    print_table("VAD on visitor speech in mall babble (frames of 10 ms)", rows)
    write_json(args.json, result)


if __name__ == "__main__":
    main()
