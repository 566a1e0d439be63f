"""How clear the kiosk's Mandarin is: every answer of the mall-demo pack and the AI disclosure, spoken by
the kiosk's voice as `edge-avatar say` speaks them, transcribed by a recogniser that did not make them.

- Lines: the disclosure, the fallback, and every zh answer variant of every intent (its `answer_when`
  wordings and follow-ups too), schedule placeholders filled at a fixed venue time (`--at`), cues
  removed: what the kiosk says.
- Voice: `runtime.composition.say.kiosk_voice` — the voice `run` chooses for zh (or `--voice`), its
  own normalisation and clause splitting — each line into a labelled WAV (`speak_to_file`).
- Listener: faster-whisper base (int8, beam 5, whole file, the README's prompt `以下是普通话的句子。`),
  the raw engine bench/asr.py puts beside the kiosk; not part of the voice.
- CER against the line as made speakable (`zh_normalise.speakable_zh`: "3F" is 三楼, "10:00" 十点),
  scored as ../shared/speech/mandarin-read/README.md scores (bench/speech_sets.chars), next to the
  same listener's CER on the real read speech of every Mandarin set (a person reading aloud).

    python bench/zh_intelligibility.py [--voice jm_kumo] [--json bench/results/zh_intelligibility.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import speech_sets
from bench.asr import git
from bench.common import machine, write_json
from bench.kiosk_runs import PACK
from bench.raw_engines import WhisperWholeFile

SPEECH = REPO.parent / "shared" / "speech"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voice", help="a voice id or Kokoro speaker (default: the one `run` uses for zh)")
    ap.add_argument("--at", default="2026-12-05T14:00", help="venue time the schedule placeholders are filled at")
    ap.add_argument("--listener", default="whisper-base")
    ap.add_argument("--json", type=Path)
    return ap.parse_args(argv)


def kiosk_lines(pack, at: dt.datetime) -> list[tuple[str, str]]:
    """[(what, text)]: the disclosure, the fallback and every zh answer wording, as the kiosk says them."""
    from runtime.conversation.lines import disclosure_text
    from runtime.dialogue.answer_text import fill, split_cues
    lines = [("disclosure", disclosure_text(pack, "zh"))]
    if "zh" in pack.fallback:
        lines.append(("fallback", pack.fallback["zh"]))
    for intent in pack.intents:
        wordings = [("", v) for v in intent.answer_variants("zh")]
        wordings += [(f" when {k}", v) for k, when in intent.when.items() for v in when.get("zh", ())]
        wordings += [(f" follow-up {fu.id}", v) for fu in intent.followups for v in fu.variants.get("zh", ())]
        for i, (kind, text) in enumerate(wordings):
            lines.append((f"{intent.id}{kind} #{i}", split_cues(fill(text, "zh", pack.schedule, at))[0]))
    seen, out = set(), []
    for what, text in lines:
        if text.strip() and text not in seen:
            seen.add(text)
            out.append((what, text.strip()))
    return out


def score(rows: list[dict]) -> dict:
    errors, total = sum(r["errors"] for r in rows), sum(r["chars"] for r in rows)
    return {"lines_or_files": len(rows), "chars": total, "errors": errors, "cer": round(errors / total, 4) if total else None}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from runtime.composition.say import kiosk_voice, speak_to_file
    from runtime.dialogue.content_pack import load_content_pack
    from runtime.tts.zh_normalise import speakable_zh
    pack = load_content_pack(PACK)
    at = dt.datetime.fromisoformat(args.at)
    lines = kiosk_lines(pack, at)
    print(f"machine: {machine()}\n{len(lines)} zh lines of {PACK.name} (answers filled at {args.at})", flush=True)
    synth, labeller = kiosk_voice("zh", args.voice)
    listener = WhisperWholeFile(args.listener)
    kiosk_rows, read_rows = [], []
    with tempfile.TemporaryDirectory(prefix="bench-zh-voice-") as tmp:
        for i, (what, text) in enumerate(lines):
            started = time.perf_counter()
            said = speak_to_file(synth, labeller, text, Path(tmp) / f"line{i:03d}.wav")
            synth_s = time.perf_counter() - started
            heard = listener.decode(said.path, "zh")
            reference = speakable_zh(text)
            errors, total = speech_sets.char_errors(reference, heard)
            kiosk_rows.append({"what": what, "text": text, "speakable": reference, "heard": heard, "errors": errors,
                               "chars": total, "cer": round(errors / total, 4) if total else None,
                               "audio_s": round(said.seconds, 2), "synth_s": round(synth_s, 2)})
            print(f"  {what:<34} CER {speech_sets.fmt_pct(kiosk_rows[-1]['cer']):>6}  {reference} → {heard}", flush=True)
    for files in speech_sets.discover_sets(SPEECH, None, "zh").values():
        for f in files:
            heard = listener.decode(f.wav, "zh")
            errors, total = speech_sets.char_errors(f.reference, heard)
            read_rows.append({"file": f.key, "reference": f.reference, "heard": heard, "errors": errors,
                              "chars": total})
    kiosk, read = score(kiosk_rows), score(read_rows)
    print(f"\nthe kiosk's Mandarin ({said.voice}) heard by {listener.description}: CER "
          f"{speech_sets.fmt_pct(kiosk['cer'])} over {kiosk['chars']} characters in {len(kiosk_rows)} lines")
    print(f"real read Mandarin ({', '.join(sorted({r['file'].split('/')[0] for r in read_rows}))}), same listener: "
          f"CER {speech_sets.fmt_pct(read['cer'])} over {read['chars']} characters")
    write_json(args.json, {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "commit": git("rev-parse", "HEAD"),
        "describe": git("describe", "--always", "--dirty"), "machine": machine(),
        "command": "python bench/zh_intelligibility.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "voice": said.voice, "listener": listener.description, "pack": PACK.name, "venue_time": args.at,
        "target": "kiosk CER <= the listener's CER on real read speech",
        "kiosk": kiosk, "read_speech": read, "lines": kiosk_rows, "read_files": read_rows})


if __name__ == "__main__":
    main()
