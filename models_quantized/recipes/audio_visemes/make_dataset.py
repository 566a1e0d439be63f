"""Step 1 of the audio→viseme recipe (runs in the kiosk's own venv: Piper, numpy, soxr).

Speaks generated sentences with the Piper voice, takes each phoneme's time from
Piper's alignments, labels every 10 ms frame with the viseme the avatar would
show then (`VisemeTrack.add_phonemes`, the same phoneme→viseme map as the
renderer) and stores the log-mel frames of `runtime.lipsync.features`.

Augmentation, so the model hears more than one clean voice: speaking rate
(Piper length_scale 0.8–1.25), Piper's own noise, a ±8 % formant/pitch shift
(resampling), gain −20…0 dB, background noise at 20–50 dB SNR.

    python -m models_quantized.recipes.audio_visemes.make_dataset --out DIR/dataset.npz
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from pathlib import Path

import numpy as np
import soxr

from runtime.audio.chunk import AudioChunk
from runtime.lipsync.features import HOP, RATE, WINDOW, log_mel
from runtime.lipsync.visemes import VISEMES, VisemeTrack
from runtime.models.manifest import ModelCatalog
from runtime.tts.base import PhonemeTiming

from .sentences import sentences

_LOGGER = logging.getLogger("make_dataset")
HELD_OUT_EVERY = 8   # every 8th sentence is held out (never trained on)


def _voice(voice_id: str):
    from piper import PiperVoice
    catalog = ModelCatalog.load()
    entry = next(e for e in catalog.entries if e.id == voice_id)
    catalog.verify(entry)
    onnx = next(f.path for f in entry.files if f.path.suffix == ".onnx")
    return PiperVoice.load(onnx, include_alignments=True)


def labels_for(timings: list[PhonemeTiming], frames: int) -> np.ndarray:
    track = VisemeTrack()
    track.add_phonemes(0.0, tuple(timings))
    centres = (np.arange(frames) * HOP + WINDOW / 2) / RATE
    index = {v: i for i, v in enumerate(VISEMES)}
    return np.array([index[track.at(float(t))] for t in centres], dtype=np.int8)


def loudness_baseline(x: np.ndarray, frames: int) -> np.ndarray:
    """What the kiosk showed before this model: `VisemeTrack.add_audio` (mouth open = loudness)."""
    track = VisemeTrack()
    track.add_audio(0.0, AudioChunk.from_float(x, RATE))
    centres = (np.arange(frames) * HOP + WINDOW / 2) / RATE
    index = {v: i for i, v in enumerate(VISEMES)}
    return np.array([index[track.at(float(t))] for t in centres], dtype=np.int8)


def render(voice, text: str, rng: random.Random, augment: bool):
    from piper import SynthesisConfig
    config = SynthesisConfig(length_scale=rng.uniform(0.8, 1.25) if augment else 1.0,
                             noise_scale=rng.uniform(0.3, 0.8) if augment else 0.667,
                             noise_w_scale=rng.uniform(0.5, 1.0) if augment else 0.8)
    audio, timings, offset = [], [], 0.0
    for chunk in voice.synthesize(text, syn_config=config, include_alignments=True):
        rate = chunk.sample_rate
        samples = np.cumsum([0] + [int(a.num_samples) for a in chunk.phoneme_alignments or []])
        for i, a in enumerate(chunk.phoneme_alignments or []):
            timings.append(PhonemeTiming(a.phoneme, offset + samples[i] / rate, offset + samples[i + 1] / rate))
        audio.append(chunk.audio_float_array)
        offset += len(chunk.audio_float_array) / rate
    if not timings:
        return None
    x = np.concatenate(audio).astype(np.float32)
    shift = rng.uniform(0.92, 1.08) if augment else 1.0
    # Playing 22.05 kHz audio as if it were 22.05*shift kHz moves every formant by `shift`
    # and scales time by 1/shift.
    x = soxr.resample(x, rate * shift, RATE).astype(np.float32)
    timings = [PhonemeTiming(t.phoneme, t.start / shift, t.end / shift) for t in timings]
    if augment:
        x *= 10 ** (rng.uniform(-20, 0) / 20)
        if rng.random() < 0.5:
            power = float(np.mean(x ** 2)) + 1e-12
            snr = rng.uniform(20, 50)
            x += np.random.default_rng(rng.randrange(1 << 30)).normal(
                0, np.sqrt(power / 10 ** (snr / 10)), x.size).astype(np.float32)
    return x, timings


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sentences", type=int, default=3200)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--voice", default="piper-en_US-joe-medium")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import pocketsphinx
    cmudict = Path(pocketsphinx.__file__).parent / "model" / "en-us" / "cmudict-en-us.dict"
    pack = Path(__file__).resolve().parents[3] / "runtime" / "content" / "default" / "faq.yaml"
    texts = sentences(args.sentences, args.seed, cmudict, pack)
    import onnxruntime
    onnxruntime.set_seed(args.seed)   # Piper samples noise inside its graph: fixed, so the data repeats
    voice = _voice(args.voice)
    rng = random.Random(args.seed)
    feats, labels, baseline, utt, held = [], [], [], [], []
    started = time.monotonic()
    seconds = 0.0
    for i, text in enumerate(texts):
        held_out = i % HELD_OUT_EVERY == 0
        rendered = render(voice, text, rng, augment=True)
        if rendered is None:
            continue
        x, timings = rendered
        f = log_mel(x)
        feats.append(f)
        labels.append(labels_for(timings, len(f)))
        baseline.append(loudness_baseline(x, len(f)))
        utt.append(np.full(len(f), i, dtype=np.int32))
        held.append(np.full(len(f), held_out))
        seconds += x.size / RATE
        if i % 200 == 0:
            _LOGGER.info("%d/%d sentences, %.0f s of speech, %.0f s", i, len(texts), seconds,
                         time.monotonic() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, features=np.concatenate(feats), labels=np.concatenate(labels),
                        loudness_baseline=np.concatenate(baseline),
                        utterance=np.concatenate(utt), held_out=np.concatenate(held),
                        texts=np.array(texts), seed=args.seed, voice=args.voice)
    info = {"sentences": len(texts), "speech_s": round(seconds, 1), "frames": int(sum(len(f) for f in feats)),
            "held_out_sentences": len(range(0, len(texts), HELD_OUT_EVERY)), "voice": args.voice, "seed": args.seed}
    args.out.with_suffix(".json").write_text(json.dumps(info, indent=2))
    _LOGGER.info("dataset: %s", info)


if __name__ == "__main__":
    main()
