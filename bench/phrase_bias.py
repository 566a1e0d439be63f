"""Phrase biasing: the content pack compiled into recognition hints, measured with and without.

Spoken questions (Piper en_US-joe, the question sets in bench/dialogue_sets, plus
the kiosk's own commands) are recognised by pocketsphinx with the general en-US
language model and with the venue model built from the pack (runtime/asr/
phrase_hints.py). Reports word error rate, and what matters to the visitor:
the share of in-domain questions that reach the right intent and of
out-of-domain ones that get the fallback, from speech. The general-speech cost
is measured on ../shared/speech (read LibriVox sentences).

    python bench/phrase_bias.py [--set bench/dialogue_sets/mall-heldout.yaml] [--json OUT]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import machine, print_table, write_json  # noqa: E402
from runtime.asr.phrase_hints import pack_phrases  # noqa: E402
from runtime.asr.pocketsphinx_asr import PocketsphinxRecognizer  # noqa: E402
from runtime.asr.scoring import wer  # noqa: E402
from runtime.audio.chunk import AudioChunk  # noqa: E402
from runtime.audio.sources import read_wav  # noqa: E402
from runtime.composition.backends import make_synthesizer
from runtime.dialogue.content_pack import load_content_pack  # noqa: E402
from runtime.dialogue.matcher import IntentMatcher  # noqa: E402
from runtime.dialogue.question_set import LabelledQuestion, load_question_set  # noqa: E402
from runtime.dialogue.visitor_commands import wants_language, wants_repeat  # noqa: E402
from runtime.models.manifest import ModelCatalog

SETS = REPO / "bench" / "dialogue_sets"
MALL = REPO.parent / "shared" / "venues" / "mall-demo"
LIBRIVOX = REPO.parent / "shared" / "speech" / "librivox-en"
COMMANDS = ["say that again", "could you repeat that please", "Chinese please", "can you speak Chinese",
            "English please", "the first one", "the second one", "sorry what did you say"]


def utterance(synth, text: str) -> AudioChunk:
    """The question with 0.3 s of quiet either side, as the kiosk's pre-roll hands it to the recogniser."""
    pad = np.zeros(int(0.3 * synth.rate), dtype=np.float32)
    audio = np.concatenate([pad] + [s.audio.float_samples() for s in synth.synthesize(text)] + [pad])
    return AudioChunk.from_float(0.6 * audio, synth.rate).converted(rate=16000)


def recognise(recognizer, chunks: list[AudioChunk]) -> tuple[list[str], float]:
    out, busy, audio_s = [], 0.0, 0.0
    for chunk in chunks:
        t0 = time.perf_counter()
        recognizer.start()
        step = 512 * 2
        for i in range(0, len(chunk.audio), step):
            recognizer.accept(AudioChunk(16000, 2, 1, chunk.audio[i:i + step]))
        out.append(recognizer.finish())
        busy += time.perf_counter() - t0
        audio_s += chunk.seconds
    return out, busy / max(audio_s, 1e-9)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=SETS / "mall-heldout.yaml")
    parser.add_argument("--content", type=Path, default=MALL)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    pack = load_content_pack(args.content)
    matcher = IntentMatcher(pack)
    catalog = ModelCatalog.load()
    model_dir = catalog.verify(catalog.find("asr", "en", engine="pocketsphinx"))
    items = [i for i in load_question_set(args.set) if i.lang == "en"]
    items += [LabelledQuestion("en", c, "command") for c in COMMANDS]
    synth = make_synthesizer(catalog, "en", deterministic=True)
    chunks = [utterance(synth, i.text) for i in items]
    librivox = sorted(LIBRIVOX.glob("*.wav"))
    lib_chunks = [read_wav(p).converted(rate=16000, channels=1) for p in librivox]
    lib_refs = [p.with_suffix(".txt").read_text().strip() for p in librivox]

    rows, result = [], {"machine": machine(), "set": args.set.name, "pack": pack.venue_id,
                        "utterances": len(items), "conditions": {}}
    for name, hints in (("general model", None), ("venue hints", pack_phrases(pack, "en"))):
        started = time.perf_counter()
        recognizer = PocketsphinxRecognizer(model_dir, "en", hints=hints)
        load_s = time.perf_counter() - started
        hyps, rtf = recognise(recognizer, chunks)
        right = {"in": 0, "in_n": 0, "out": 0, "out_n": 0, "cmd": 0, "cmd_n": 0}
        for item, hyp in zip(items, hyps):
            if item.intent == "command":
                right["cmd_n"] += 1
                right["cmd"] += bool(wants_repeat(hyp) or wants_language(hyp)
                                     or hyp.split()[:2] in (["the", "first"], ["the", "second"]))
                continue
            key = "in" if item.intent else "out"
            right[key + "_n"] += 1
            right[key] += matcher.match(hyp, "en").intent_id == item.intent
        score = wer([(normal(i.text), h) for i, h in zip(items, hyps)])
        lib_hyps, _ = recognise(recognizer, lib_chunks)
        lib_score = wer(list(zip(lib_refs, lib_hyps)))
        cond = {"wer": round(score, 4), "in_domain_rate": round(right["in"] / right["in_n"], 4),
                "out_of_domain_rate": round(right["out"] / right["out_n"], 4),
                "commands_rate": round(right["cmd"] / right["cmd_n"], 4),
                "librivox_wer": round(lib_score, 4), "rtf": round(rtf, 3), "load_s": round(load_s, 2)}
        result["conditions"][name] = cond
        rows += [(f"{name}: WER on the spoken questions", f"{score:.1%}"),
                 (f"{name}: in-domain to the right intent", f"{right['in']}/{right['in_n']} = {cond['in_domain_rate']:.1%}"),
                 (f"{name}: out-of-domain to the fallback",
                  f"{right['out']}/{right['out_n']} = {cond['out_of_domain_rate']:.1%}"),
                 (f"{name}: commands understood", f"{right['cmd']}/{right['cmd_n']}"),
                 (f"{name}: WER on LibriVox (general speech)", f"{lib_score:.1%}"),
                 (f"{name}: RTF / model set-up", f"{rtf:.3f} / {load_s:.2f} s")]
    rows.append(("machine", machine()))
    print_table(f"Phrase biasing, pocketsphinx en-US, {len(items)} spoken utterances ({args.set.name})", rows)
    write_json(args.json, result)
    return 0


def normal(text: str) -> str:
    return " ".join(w for w in "".join(c if c.isalnum() or c in " '" else " " for c in text.lower()).split())


if __name__ == "__main__":
    sys.exit(main())
