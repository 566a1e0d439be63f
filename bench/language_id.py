"""Language found per turn, on every real English and Mandarin set under ../shared/speech, through
`edge-avatar run` as a user runs it.

Every file is played to a kiosk whose home language is the *other* one (a Mandarin file to a kiosk
at home in English, and the reverse), so the kiosk must find the turn's language to answer in it
(an unsure decision keeps the home language and counts as wrong):

    edge-avatar run --content ../shared/venues/mall-demo --lang OTHER --asr whisper-base --input FILE
        --output null --display headless --report REPORT.json --pace fast

and each answered turn's `lang` in the report is compared with the set's language (README: `*-en`
English, `*-zh`/`mandarin-*` Mandarin). A file with no answered turn counts as one wrong turn.

    python bench/language_id.py [--sets NAME ...] [--backend whisper-base] [--json bench/results/language_id.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import speech_sets
from bench.asr import git
from bench.common import machine, write_json
from bench.kiosk_runs import kiosk_command, run_measured

SPEECH = REPO.parent / "shared" / "speech"
OTHER = {"en": "zh", "zh": "en"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", help="set folder names (default: every en and zh set)")
    ap.add_argument("--backend", default="whisper-base")
    ap.add_argument("--edge-avatar", type=Path, default=REPO / ".venv" / "bin" / "edge-avatar")
    ap.add_argument("--json", type=Path)
    return ap.parse_args(argv)


def one_file(f: speech_sets.SpeechFile, lang: str, args: argparse.Namespace, folder: Path) -> dict:
    report_path, log = folder / f"{f.set_name}__{f.id}.json", folder / f"{f.set_name}__{f.id}.log"
    cmd = kiosk_command(args.edge_avatar, f.wav, report_path, args.backend, "venue", True, "fast", OTHER[lang])
    code, wall, rss = run_measured(cmd, log)
    report = json.loads(report_path.read_text(encoding="utf-8")) if code == 0 and report_path.exists() else {}
    turns = [{"lang": t.get("lang"), "transcript": t.get("transcript")} for t in report.get("turns") or []]
    right = sum(t["lang"] == lang for t in turns)
    return {"set": f.set_name, "id": f.id, "language": lang, "home": OTHER[lang], "turns": turns,
            "right": right, "counted": max(1, len(turns)), "failed": None if code == 0 else f"exit {code}",
            "wall_s": round(wall, 1), "peak_rss_mb": round(rss, 1)}


def summary(rows: list[dict]) -> dict:
    out = {}
    for name in sorted({r["set"] for r in rows}) + ["all"]:
        mine = [r for r in rows if name in ("all", r["set"])]
        right, counted = sum(r["right"] for r in mine), sum(r["counted"] for r in mine)
        files_right = sum(r["right"] == r["counted"] and bool(r["turns"]) for r in mine)
        out[name] = {"files": len(mine), "files_right": files_right, "turns": counted, "turns_right": right,
                     "accuracy": round(right / counted, 4) if counted else None}
    return out


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sets = {lang: speech_sets.discover_sets(SPEECH, args.sets, lang) for lang in ("en", "zh")}
    files = [(f, lang) for lang, by_set in sets.items() for fs in by_set.values() for f in fs]
    if not files:
        raise SystemExit(f"no en or zh speech set under {SPEECH}")
    print(f"machine: {machine()}\n{len(files)} files: " + ", ".join(
        f"{name} ({len(fs)}, {lang})" for lang, by_set in sets.items() for name, fs in by_set.items()), flush=True)
    started = dt.datetime.now(dt.timezone.utc)
    commit, describe = git("rev-parse", "HEAD"), git("describe", "--always", "--dirty")   # the code that runs
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-lid-") as tmp:
        for f, lang in files:
            row = one_file(f, lang, args, Path(tmp))
            rows.append(row)
            heard = ",".join(str(t["lang"]) for t in row["turns"]) or "no turn"
            print(f"  {f.key:<40} {lang} (home {row['home']}): heard {heard}  {row['wall_s']} s"
                  + (f"  FAILED {row['failed']}" if row["failed"] else ""), flush=True)
    summ = summary(rows)
    print("\nset                 files right  turns right  accuracy")
    for name, s in summ.items():
        print(f"{name:<20}{s['files']:>5} {s['files_right']:>5}  {s['turns']:>5} {s['turns_right']:>5}  "
              f"{speech_sets.fmt_pct(s['accuracy'])}")
    write_json(args.json, {
        "date": started.isoformat(timespec="seconds"), "commit": commit, "describe": describe, "machine": machine(),
        "command": "python bench/language_id.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "kiosk_command": " ".join(kiosk_command(Path("edge-avatar"), Path("FILE.wav"), Path("REPORT.json"),
                                                args.backend, "venue", True, "fast", "OTHER")),
        "target": ">= 98 % of turns answered in the language they were spoken in",
        "summary": summ, "files": rows})


if __name__ == "__main__":
    main()
