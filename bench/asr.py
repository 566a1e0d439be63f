"""pocketsphinx settings for streaming, measured on the real human speech in ../shared/speech.

Rows: the raw engine whole-utterance (the figure to match), the same engine
streamed with its defaults, the kiosk's streaming settings, and the kiosk's
whole listening path (VAD, endpointing, 32 ms chunks).

    python bench/asr.py [--json OUT]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, print_table, write_json  # noqa: E402
from runtime.asr.pocketsphinx_asr import STREAMING_SETTINGS  # noqa: E402
from runtime.asr.scoring import wer  # noqa: E402
from runtime.audio.sources import read_wav  # noqa: E402
from runtime.composition.backends import make_recognizer
from runtime.listening.transcribe import transcribe_file
from runtime.listening.vad import make_vad
from runtime.models.manifest import ModelCatalog

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "speech" / "librivox-en"


def decode(paths, settings: dict, streaming: bool) -> tuple[list[str], float, float]:
    from pocketsphinx import Config, Decoder
    decoder = Decoder(Config(samprate=16000, loglevel="ERROR", **settings))
    out, busy, final, audio_s = [], 0.0, 0.0, 0.0
    for path in paths:
        audio = read_wav(path).audio
        t0 = time.perf_counter()
        decoder.start_utt()
        if streaming:
            for i in range(0, len(audio), 1024):
                decoder.process_raw(audio[i:i + 1024], full_utt=False)
        else:
            decoder.process_raw(audio, full_utt=True)
        t1 = time.perf_counter()
        decoder.end_utt()
        out.append(decoder.hyp().hypstr)
        busy += time.perf_counter() - t0
        final += time.perf_counter() - (t1 if streaming else t0)
        audio_s += len(audio) / 32000
    return out, busy / audio_s, final / len(paths) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    paths = sorted(SPEECH.glob("*.wav"))
    refs = [p.with_suffix(".txt").read_text().strip() for p in paths]
    rows, result = [], {"machine": machine(), "words": sum(len(r.split()) for r in refs), "rows": {}}
    for name, settings, streaming in [("raw engine, whole utterance (defaults)", {}, False),
                                      ("streamed, pocketsphinx defaults", {}, True),
                                      ("streamed, kiosk settings", STREAMING_SETTINGS, True)]:
        hyps, rtf, final_ms = decode(paths, settings, streaming)
        score = wer(list(zip(refs, hyps)))
        result["rows"][name] = {"wer": round(score, 4), "rtf": round(rtf, 3), "final_ms": round(final_ms, 1)}
        rows.append((name, f"WER {score:.1%}  RTF {rtf:.3f}  result {final_ms:.0f} ms after the audio"))
    recognizer, vad = make_recognizer(ModelCatalog.load(), "en"), make_vad("silero")
    t0 = time.perf_counter()
    hyps = [" ".join(t.transcript for t in transcribe_file(p, recognizer, vad)) for p in paths]
    busy = time.perf_counter() - t0
    score = wer(list(zip(refs, hyps)))
    result["rows"]["kiosk listening path"] = {"wer": round(score, 4)}
    rows.append(("kiosk listening path (VAD + endpointing + streaming)",
                 f"WER {score:.1%}  ({busy:.1f} s for {len(paths)} files incl. VAD)"))
    print(f"machine: {result['machine']}")
    print_table(f"pocketsphinx en-US on {len(paths)} LibriVox sentences ({result['words']} words)", rows)
    write_json(args.json, result)


if __name__ == "__main__":
    main()
