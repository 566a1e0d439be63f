"""`edge-avatar say [--lang zh|en] [--voice V] TEXT --out FILE.wav`: hear a line in the kiosk's voice."""

from __future__ import annotations

from pathlib import Path

from runtime.composition.config import KioskConfig


def add_command(sub) -> None:
    p = sub.add_parser("say", help="speak a text exactly as the kiosk would (same normalisation, voice and "
                                   "settings) into a labelled WAV")
    p.add_argument("text", help="what to say (answers' [cues] are not spoken: give the words)")
    p.add_argument("--out", type=Path, required=True, help="the WAV to write")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="the language to speak (default zh)")
    p.add_argument("--voice", help="a voice id from `edge-avatar models`, or a Kokoro speaker (zh: jm_kumo, …); "
                                   "default: the one `run` would use")
    p.add_argument("--models", type=Path, help="an admin models folder with a manifest.yaml")
    p.add_argument("--voice-precision", choices=("auto", "float", "int8"), default="auto")
    p.add_argument("--content", type=Path, help="the content pack the line belongs to (named in the WAV's label)")
    p.set_defaults(func=_cmd_say)


def _cmd_say(args) -> int:
    from runtime.composition.say import say_to_file
    cfg = KioskConfig(models_dir=args.models, voice_precision=args.voice_precision,
                      **({"content_dir": args.content} if args.content else {}))
    said = say_to_file(args.text, args.out, args.lang, args.voice, cfg)
    print(f"{said.path}: {said.seconds:.2f} s, {said.clauses} clause(s), {said.voice}")
    return 0
