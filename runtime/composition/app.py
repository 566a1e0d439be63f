"""Build a kiosk from its config: pick every backend once, log the choices, run."""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import Future, wait
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from runtime.audio.echo import make_echo_canceller
from runtime.audio.linear_echo import make_linear_echo
from runtime.audio.sinks import AudioSink, NullSink, WavFileSink
from runtime.audio.sources import AudioSource, WavFileSource
from runtime.avatar.lip_sync_offset import offsets
from runtime.board.defaults import board_defaults, resolve
from runtime.conversation.kiosk import Kiosk, LanguageBackends
from runtime.conversation.kiosk_state import KioskRun
from runtime.conversation.report import frames_record
from runtime.dialogue.content_pack import ContentPack, load_content_pack
from runtime.dialogue.responder import Responder
from runtime.display.avatar_view import AvatarView
from runtime.display.renderer.display import Display, HeadlessDisplay, WindowDisplay
from runtime.listening.front_end import AudioFrontEnd
from runtime.listening.level_gate import LevelGate
from runtime.listening.listener import Listener
from runtime.listening.vad import make_vad
from runtime.models.manifest import ModelCatalog
from runtime.ops.event_recorder import EventKind, EventRecorder
from runtime.ops.process_age import process_age_s
from runtime.shared.durable_files import write_json_atomic
from runtime.shared.errors import ModelError
from runtime.speaking.speech_output import SpeechOutput
from runtime.tts.answer_cache.prepared import PreparedSpeech
from runtime.turn_taking.endpointing import Endpointer

from .backends import can_recognize
from .config import KioskConfig
from .languages import choose_language, turn_languages
from .stages import Stages
from .understanding import LoadingMood, LoadingResponder, build_understanding

_LOGGER = logging.getLogger(__name__)
COMPLETE_QUESTION_CONFIDENCE = 0.6  # a partial this sure of an intent ends the turn sooner


def open_source(cfg: KioskConfig) -> AudioSource:
    if cfg.input == "mic":
        from runtime.audio.microphone import MicrophoneSource
        return MicrophoneSource()
    return WavFileSource(Path(cfg.input), paced=cfg.realtime,
                         trailing_silence=cfg.endpoint.end_silence_s + 0.5)


def open_sink(cfg: KioskConfig, rate: int, labeller=None) -> AudioSink:
    if cfg.output == "speaker":
        from runtime.audio.speaker import SpeakerSink
        return SpeakerSink(rate)
    if cfg.output == "null":
        return NullSink(rate)
    return WavFileSink(Path(cfg.output), rate, labeller)


def open_display(cfg: KioskConfig) -> Display:
    if cfg.display == "window":
        return WindowDisplay(cfg.width, cfg.height)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    return HeadlessDisplay(cfg.width, cfg.height)


def default_data_dir() -> Path:
    return Path(os.environ.get("EDGE_AVATAR_DATA", Path.home() / ".local" / "share" / "edge-avatar"))


def venue_now(timezone: str):
    """A clock of the venue's local date and time, from its pack's timezone."""
    import datetime as dt
    try:
        from zoneinfo import ZoneInfo
        zone = ZoneInfo(timezone)
    except (ImportError, KeyError, ValueError) as err:
        _LOGGER.warning("timezone %r unknown (%s): using the board's local time", timezone, err)
        zone = None
    return lambda: dt.datetime.now(zone)


def venue_clock(timezone: str):
    """The venue's local time of day (for the brightness schedule)."""
    now = venue_now(timezone)
    return lambda: now().time()


def open_surroundings(cfg: KioskConfig, pack: ContentPack, catalog: ModelCatalog | None = None):
    """Presence, attract loop and panel control: for a live kiosk, or when a panel or GPIO is named."""
    if cfg.input != "mic" and not cfg.panel_port and not cfg.gpio and not cfg.camera:
        return None, None
    from firmware_bridge.board_inputs import open_board_inputs
    from firmware_bridge.client import PanelBridge
    from firmware_bridge.health import HealthProbe
    from runtime.display.panel_profile import load_profile
    from runtime.surroundings.presence import FrameRateGovernor, PresenceConfig, PresencePolicy

    from .panel_session import PanelSession
    bridge = PanelBridge(cfg.panel_port) if cfg.panel_port else None
    inputs = open_board_inputs() if cfg.gpio else None
    profile = load_profile(cfg.panel)
    _LOGGER.info("panel profile %s: %s, %dx%d, %s mode, fps cap %g", profile.name, profile.format,
                 profile.width, profile.height, "3D" if profile.mode_3d else "2D", profile.fps_cap)
    defaults = PresenceConfig()
    policy = PresencePolicy(PresenceConfig(
        panel_mode_3d=profile.mode_3d,
        schedule=tuple((when, min(percent, profile.brightness)) for when, percent in defaults.schedule)))
    governor = FrameRateGovernor(base_fps=profile.fps_cap, min_fps=min(12.0, profile.fps_cap))
    session = PanelSession(policy, venue_clock(pack.timezone), bridge, inputs, HealthProbe(), governor)
    if cfg.camera:
        _start_visitor_camera(cfg, catalog, session)
    return session, bridge


def _start_visitor_camera(cfg: KioskConfig, catalog: ModelCatalog, session) -> None:
    from runtime.models.inference import choose_backend
    from runtime.surroundings.vision.camera import open_camera
    from runtime.surroundings.vision.face_detector import load_face_detector
    from runtime.surroundings.vision.visitor_camera import VisitorCamera
    try:
        detector = load_face_detector(catalog or ModelCatalog.load(cfg.models_dir, *cfg.fleet_model_dirs),
                                      choose_backend(cfg.inference_backend), max(1, cfg.inference_threads))
    except ModelError as err:
        _LOGGER.error("camera: %s; presence comes from the sensors only", err)
        return
    if detector is not None:
        VisitorCamera(lambda: open_camera(cfg.camera), detector, session.post_presence).start()


def _audio_lip_sync(catalog: ModelCatalog, backend_name: str):
    """The audio→viseme model for speech with no phoneme times, loaded when such speech is first played
    (`LoadedWhenNeeded`), or None (the mouth then follows loudness) when it is not installed; a TFLite
    runtime or model that fails to load then is logged and the mouth follows loudness too."""
    from runtime.lipsync.audio_visemes import MODEL_ID, LoadedWhenNeeded, load_audio_visemes
    entry = next((e for e in catalog.entries if e.id == MODEL_ID), None)
    if entry is None or not entry.available:
        _LOGGER.warning("lip sync from audio: model %s not installed; the mouth follows loudness", MODEL_ID)
        return None

    def load():
        from runtime.models.inference import choose_backend
        try:
            backend = choose_backend(backend_name)
        except ModelError as err:
            _LOGGER.error("lip sync from audio: %s; the mouth follows loudness", err)
            return None
        return load_audio_visemes(catalog, backend, threads=1)
    return LoadedWhenNeeded(load)


def _observe(kiosk: Kiosk, cfg: KioskConfig, pack: ContentPack, lang: str, backends: dict[str, Any],
             listening: Callable[[], bool], loads_over: Callable[[], bool]):
    """Subscribe the interaction log, the service status (READY=1 and the health lines once the kiosk
    listens and renders) and the start-up timer to the kiosk; returns what must be closed, the
    start-up times (filled in as they happen) and the notifier."""
    view = kiosk.view
    closers: list[Callable[[], None]] = []
    log_dir = cfg.log_dir or (default_data_dir() / "interactions" if cfg.input == "mic" else None)
    if log_dir is not None:
        from runtime.ops.interaction_log import InteractionLog
        log, now = InteractionLog(log_dir), venue_now(pack.timezone)
        log.prune(now().date())
        kiosk.events.subscribe(lambda _kind, turn: log.write(now(), turn), EventKind.TURN)
        closers.append(log.sync)
        backends["interaction_log"] = str(log_dir)
    from runtime.ops.service.notifier import make_notifier
    from runtime.ops.service.startup_health import StartupHealth
    startup: dict[str, float | None] = {"avatar_on_screen_s": None, "listening_s": None}

    def first_frame(_t: float) -> None:
        if startup["avatar_on_screen_s"] is None and (view.frames_drawn or view.pose is not None):
            startup["avatar_on_screen_s"] = round(process_age_s(), 2)
    kiosk.tick_listeners.append(first_frame)
    notifier = make_notifier()
    backends["service"] = notifier.name
    kiosk.tick_listeners.append(notifier.tick)
    health = StartupHealth(notifier, f"listening ({lang}), content {pack.venue_id}")
    kiosk.service_health = health
    kiosk.tick_listeners.append(lambda _t: health.tick(listening(), view.rendering, loads_over()))
    kiosk.events.subscribe(lambda _kind, _turn: notifier.status(
        f"listening ({lang}); {kiosk.events.counts[EventKind.TURN]} visitor questions answered"), EventKind.TURN)
    return closers, startup, notifier


def _rights_guard(kiosk: Kiosk, cfg: KioskConfig, notifier):
    """Watch the rights of the fleet-installed assets in use (docs/rights.md); None without --data-dir."""
    if cfg.data_dir is None:
        return None
    from runtime.rights.consent import Site

    from .rights_guard import RightsGuard, kinds_in_use
    in_use = kinds_in_use(cfg.data_dir, cfg.avatar_dir, cfg.content_dir, cfg.fleet_model_dirs)
    guard = RightsGuard(kiosk, cfg.data_dir, Site(cfg.site, cfg.region), simulated=cfg.input != "mic",
                        in_use=in_use, on_status=notifier.status)
    kiosk.tick_listeners.append(guard.tick)
    return guard


def _understanding_names(built: Future) -> dict[str, str]:
    if built.exception() is not None:
        return {"matcher": f"failed: {built.exception()}"}
    responder, _mood = built.result()
    return {"matcher": responder.embedder.name if responder.embedder else "lexical",
            "safety": getattr(responder.safety, "name", "cues")}


def run_kiosk(cfg: KioskConfig, on_ready: Callable[[Kiosk], None] | None = None) -> dict[str, Any]:
    """Run until the input ends (or the window closes); return the report. `on_ready` gets the
    kiosk before it starts listening (the embedded fleet agent attaches there)."""
    started = time.perf_counter()
    pack = load_content_pack(cfg.content_dir)
    catalog = ModelCatalog.load(cfg.models_dir, *cfg.fleet_model_dirs)
    lang = choose_language(pack, catalog, cfg.lang)
    understanding = build_understanding(pack, cfg.matcher, default_data_dir() / "embedding-cache",
                                        (cfg.data_dir or default_data_dir()) / "safety")   # the avatar does not wait
    try:
        return _run_kiosk(cfg, on_ready, started, pack, catalog, lang, understanding)
    finally:
        wait([understanding])    # its log lines come before an error's, never after it


def _run_kiosk(cfg: KioskConfig, on_ready: Callable[[Kiosk], None] | None, started: float, pack, catalog,
               lang: str, understanding: Future) -> dict[str, Any]:
    responder = LoadingResponder(pack, understanding)
    board = board_defaults()
    precision, threads = resolve(cfg.voice_precision, cfg.inference_threads, board)
    events = EventRecorder()   # the kiosk's one record of what happened (report, log, status, telemetry)
    stages = Stages(catalog, lang, precision, cfg.phrase_hints, time.monotonic, cfg.realtime, events,
                    cfg.asr, board.asr, board.asr_threads, turn_languages(pack, catalog, lang, precision))
    prepared: PreparedSpeech | None = None
    try:
        stages.asr_for(lang)                          # an --asr that cannot load: say so before any device
        display, source = open_display(cfg), open_source(cfg)
        stages.clock = source.now
        recognizer = stages.recognizer(lang, pack, preload=cfg.realtime)
        prepared = (PreparedSpeech(default_data_dir() / "answer-cache", cfg.answer_cache_mb, {"precision": precision},
                                   live=cfg.realtime) if cfg.uses_answer_cache else None)
        spoken = stages.turn_languages if stages.finds_language else (lang,)      # home first; others on a switch
        synthesizers = {lg: _wrapped(prepared, stages.voice(lg, on_demand=lg != lang)) for lg in spoken}
        lip_sync = _audio_lip_sync(catalog, cfg.inference_backend)   # 0.02 ms a frame: one thread
        from .file_labelling import labellers
        frame_labeller, audio_labeller = labellers(cfg, catalog, lang, precision)
        sink = open_sink(cfg, synthesizers[lang].rate, audio_labeller)
        speech = SpeechOutput(synthesizers, sink, source.now, time.perf_counter, lip_sync)
        from runtime.display.panel_backend import choose_panel_backend
        from runtime.display.panel_profile import load_profile
        panel_profile = load_profile(cfg.panel)
        panel_backend = choose_panel_backend(cfg.panel_backend, panel_profile)
        view = AvatarView(display, cfg.frames_dir, cfg.frame_every_s, seed=cfg.seed, avatar_dir=cfg.avatar_dir,
                          panel=panel_profile, labeller=frame_labeller, panel_backend=panel_backend)
        backends = {"input": source.name, "output": sink.name, "display": display.name,
                    "asr": recognizer.name, "tts": f"{synthesizers[lang].name} ({precision})",
                    "board": board.board, "panel_backend": panel_backend.name,
                    "lip_sync_from_audio": lip_sync.name if lip_sync else "loudness",
                    "languages": ", ".join(f"{lg}: {synthesizers[lg].name}" for lg in synthesizers)}
        _LOGGER.info("kiosk ready in %.2f s: %s", time.perf_counter() - started, backends)
        panel, bridge = open_surroundings(replace(cfg, inference_threads=threads), pack, catalog)
        if panel is not None:
            backends["panel"] = bridge.url if bridge else "none"
        languages = LanguageBackends(
            listenable=tuple(lg for lg in pack.languages if can_recognize(catalog, lg)),
            recognizer=lambda lg, pk: stages.recognizer(lg, pk),      # a language switch: loaded when asked
            voice=lambda lg: _wrapped(prepared, stages.voice(lg)))
        front_end, listener = _listening(cfg, recognizer, responder, lang, backends)
        kiosk = Kiosk(source, front_end, listener, responder, speech, view, lang, cfg.realtime,
                      max_turns=cfg.max_turns, panel=panel, languages=languages, venue_now=venue_now(pack.timezone),
                      barge_in=cfg.barge_in_tuning if cfg.barge_in else None, events=events, prepared=prepared,
                      mood=LoadingMood(understanding))
        understanding.add_done_callback(lambda built: backends.update(_understanding_names(built)))
        _prepare_answers(kiosk, cfg)
        closers, startup, notifier = _observe(
            kiosk, cfg, pack, lang, backends, listening=lambda: "ready" in stages.loaded,
            # first loads over, loaded or not (from a file they load when first used: nothing to wait for)
            loads_over=lambda: not cfg.realtime or (recognizer.wait_loaded(0) and synthesizers[lang].wait_loaded(0)))
        kiosk.rights_guard = _rights_guard(kiosk, cfg, notifier)
        if kiosk.rights_guard is not None:
            closers.append(kiosk.rights_guard.close)
        if on_ready is not None:
            on_ready(kiosk)
        loop_started = process_age_s()
        _LOGGER.info("avatar up %.2f s after the process started%s", loop_started,
                     "" if "ready" in stages.loaded else "; the recogniser and voice are still loading")
        closers += [c.close for c in (panel, bridge) if c is not None]
    except BaseException:
        if prepared is not None:
            prepared.close()        # its builder's thread ends (runtime/__main__.py)
        stages.settle()     # a refused start: its error line is the last, after the models' log lines
        stages.close()
        raise
    try:
        if cfg.waits_for_models and cfg.realtime:
            _wait_for_models(recognizer, synthesizers[lang])
        result = kiosk.run()
    finally:
        for close in closers + [source.close, speech.close, sink.close, display.close] + (
                [prepared.close] if prepared is not None else []) + [stages.close]:
            close()
    ready = stages.loaded.get("ready")
    startup["listening_s"] = round(max(loop_started, ready), 2) if ready is not None else None
    report = run_report(cfg, pack, lang, backends, source, kiosk, result, startup)
    if kiosk.rights_guard is not None:
        report["rights"] = kiosk.rights_guard.record()
    if cfg.report:
        write_json_atomic(cfg.report, report)
    return report


def _wait_for_models(recognizer, voice) -> None:
    """A recording played in real time starts once the recogniser and the voice are loaded: it stands
    for a visitor at a kiosk that is already running (`--input-start now`: one who arrives at start-up)."""
    started = time.perf_counter()
    loaded = recognizer.wait_loaded() and voice.wait_loaded()
    _LOGGER.info("input starts %.2f s later, once the models are %s", time.perf_counter() - started,
                 "loaded" if loaded else "still not loaded (the first-load wait ran out)")


def _wrapped(prepared: PreparedSpeech | None, voice):
    return prepared.wrap(voice) if prepared is not None else voice


def _prepare_answers(kiosk: Kiosk, cfg: KioskConfig) -> None:
    """The pack's answers into the cache: in the background for a live kiosk (the builder pauses while a
    visitor has it); built first for a run from a file, so its runs are repeatable."""
    if kiosk.prepared is None:
        return
    for lang in kiosk.speech.languages:
        kiosk.prepare_answers(lang)
    if not cfg.realtime:
        started = time.perf_counter()
        kiosk.prepared.builder.wait_idle()
        _LOGGER.info("answer cache built before the run in %.1f s", time.perf_counter() - started)


def _listening(cfg: KioskConfig, recognizer, responder: Responder, lang: str,
               backends: dict[str, Any]) -> tuple[AudioFrontEnd, Listener]:
    """The audio front end (VAD, level gate, echo canceller, the linear filter barge-in uses) and the
    listener behind it."""
    vad = make_vad(cfg.vad)
    echo = make_echo_canceller(cfg.echo if cfg.echo != "auto" else
                               ("webrtc" if cfg.output == "speaker" else "none"))
    linear = make_linear_echo() if cfg.barge_in and echo.name != "none" else None   # a speaker to hear back
    backends.update(vad=vad.name, echo=echo.name, barge_in_onset=linear.name if linear is not None else "vad")
    front_end = AudioFrontEnd(vad, LevelGate(), echo, linear)

    def is_complete(partial: str) -> bool:
        return responder.matcher.match(partial, lang).confidence >= COMPLETE_QUESTION_CONFIDENCE

    return front_end, Listener(recognizer, Endpointer(cfg.endpoint), is_complete, front_end.near_talker)


def run_report(cfg: KioskConfig, pack: ContentPack, lang: str, backends: dict[str, Any], source, kiosk: Kiosk,
               result: KioskRun, startup: dict[str, float | None]) -> dict[str, Any]:
    """The run report (docs/run-report.md): what was heard and answered, and what was not and why."""
    speech, view = kiosk.speech, kiosk.view
    report = {
        "content": {"venue": pack.venue_id, "path": str(pack.path), "sha256": pack.digest},
        "lang": lang,
        "backends": backends,
        "pace": "realtime" if cfg.realtime else "fast",
        "input_seconds": round(getattr(source, "duration", 0.0), 3),
        "output": None if cfg.output in ("speaker", "null") else str(cfg.output),
        "turns": result.turns,
        "greetings": result.greetings,
        "discarded_turns": result.discarded,
        "not_answered": result.not_answered,
        "voiced_seconds": kiosk.voices.summary(),
        "unheard_turns": result.unheard,
        "staff_alerts": result.staff_alerts,
        "stages": {"asr": kiosk.listener.recognizer.health.record(),
                   "tts": {lg: s.health.record() for lg, s in speech.synthesizers.items() if hasattr(s, "health")}},
        "barge_in": result.barge_ins,
        "backchannels": result.backchannels,
        "stopped_by": kiosk.stop_requested,
        "startup": startup,
        "ignored_over_speech": result.ignored_over_speech,
        "answer_cache": kiosk.prepared.report() if kiosk.prepared is not None else None,
        "speculations": {"started": result.speculations, "used": result.speculation_hits},
        "frames_dir": str(cfg.frames_dir) if cfg.frames_dir else None,
        "frames": frames_record(view.saved),
        "frames_drawn": view.frames_drawn,
        "av_offset_ms": offsets(speech.viseme_keys(0.0, 1e9), view.shown).summary(),
    }
    return report


def demo_config(cfg: KioskConfig, out_dir: Path) -> KioskConfig:
    """The headless demo: the bundled question in, answer audio, frames and report out."""
    from .config import DEMO_QUESTION
    return replace(cfg, input=str(DEMO_QUESTION), output=str(out_dir / "answer.wav"),
                   frames_dir=cfg.frames_dir or out_dir / "frames",
                   report=cfg.report or out_dir / "report.json")
