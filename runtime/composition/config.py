"""Kiosk settings: one frozen dataclass, validated once when the CLI builds it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from runtime.board.profile import ASR_ENGINES
from runtime.shared.errors import ConfigError
from runtime.turn_taking.barge_in import BargeInConfig
from runtime.turn_taking.endpointing import EndpointConfig

DEFAULT_CONTENT = Path(__file__).parents[1] / "content" / "default"
DEMO_QUESTION = DEFAULT_CONTENT / "demo_question.wav"
DEFAULT_OUT_DIR = Path("edge-avatar-out")


@dataclass(frozen=True)
class KioskConfig:
    content_dir: Path = DEFAULT_CONTENT
    input: str = "mic"              # "mic" or a WAV path
    output: str = "speaker"         # "speaker", "null" or a WAV path
    display: str = "window"         # "window" or "headless"
    pace: str = "auto"              # "realtime", "fast" or "auto" (realtime for live devices)
    input_start: str = "auto"       # a file input: "now", "ready" (once the recogniser and voice are
                                    # loaded) or "auto" (ready for a file; the microphone is always now)
    frames_dir: Path | None = None
    report: Path | None = None
    lang: str | None = None
    models_dir: Path | None = None
    fleet_model_dirs: tuple[Path, ...] = ()   # installed voice / asr-model / tflite-model bundles
    vad: str = "silero"
    width: int = 540
    height: int = 960
    seed: int = 0
    frame_every_s: float = 0.2
    max_turns: int | None = None    # stop after answering this many turns (tests, hardware checks)
    panel_port: str | None = None   # panel controller UART (/dev/ttyUSB0, a pty, loop://)
    gpio: bool = False              # PIR presence sensor and staff button on the board's GPIO
    panel: str = "portrait-1080x1920"  # panel profile: a shipped name or a YAML file
    panel_backend: str = "auto"     # who composes a 3D panel's image: gl, numpy, or auto (gl when a context can be made)
    log_dir: Path | None = None     # interaction log folder (text, >= 6 months); None: none for file runs
    avatar_dir: Path | None = None  # an avatar pack folder (default: the bundled character)
    phrase_hints: bool = True       # compile the content pack into the recogniser's hints
    asr: str = "auto"               # recogniser: pocketsphinx, whisper-base, whisper-small, vosk, or auto (the board's)
    echo: str = "auto"              # echo canceller: webrtc, none, or auto (webrtc when a speaker plays)
    barge_in: bool = True           # the visitor may interrupt the avatar
    volume: float = 1.0             # answer loudness, 0..1 (the fleet's set-volume)
    voice_precision: str = "auto"   # float, int8, or auto (the board profile's choice)
    inference_backend: str = "auto"  # TFLite: litert, tflite-runtime, or auto (LiteRT first)
    inference_threads: int = 0      # 0: the board profile's choice
    matcher: str = "hybrid"         # intent matcher: hybrid (lexical + sentence embeddings) or lexical
    answer_cache: str = "auto"      # on, off, or auto (on for real-time runs; a fast file run builds it first when on)
    answer_cache_mb: float = 64.0   # the answer cache's bound: audio kept, in memory and on disk
    camera: str | None = None       # visitor camera: auto, picamera2, opencv[:N]; None: no camera
    data_dir: Path | None = None    # fleet-installed bundles (--data-dir): their rights are watched
    site: str = ""                  # the venue a consent must cover (--site, else the first --group)
    region: str = ""                # this kiosk's region, e.g. CN-SH (--region)
    endpoint: EndpointConfig = field(default_factory=EndpointConfig)
    barge_in_tuning: BargeInConfig = field(default_factory=BargeInConfig)   # settings `barge_in: {...}`

    def __post_init__(self) -> None:
        if self.display not in ("window", "headless"):
            raise ConfigError(f"--display: expected window or headless, got {self.display!r}")
        if self.pace not in ("realtime", "fast", "auto"):
            raise ConfigError(f"--pace: expected realtime, fast or auto, got {self.pace!r}")
        if self.input_start not in ("now", "ready", "auto"):
            raise ConfigError(f"--input-start: expected now, ready or auto, got {self.input_start!r}")
        if self.lang is not None and self.lang not in ("zh", "en"):
            raise ConfigError(f"--lang: expected zh or en, got {self.lang!r}")
        if not (64 <= self.width <= 8192 and 64 <= self.height <= 8192):
            raise ConfigError(f"--size: expected 64..8192 pixels a side, got {self.width}x{self.height}")
        if self.max_turns is not None and self.max_turns < 1:
            raise ConfigError(f"--max-turns: expected 1 or more, got {self.max_turns}")
        if not 0.0 <= self.volume <= 1.0:
            raise ConfigError(f"volume: expected 0 to 1, got {self.volume!r}")
        if self.echo not in ("auto", "webrtc", "none"):
            raise ConfigError(f"echo: expected auto, webrtc or none, got {self.echo!r}")
        if self.asr not in ("auto", *ASR_ENGINES):
            raise ConfigError(f"--asr: expected auto, {', '.join(ASR_ENGINES)}, got {self.asr!r}")
        if self.matcher not in ("hybrid", "lexical"):
            raise ConfigError(f"--matcher: expected hybrid or lexical, got {self.matcher!r}")
        if self.voice_precision not in ("auto", "float", "int8"):
            raise ConfigError(f"voice_precision: expected auto, float or int8, got {self.voice_precision!r}")
        if self.inference_backend not in ("auto", "litert", "tflite-runtime"):
            raise ConfigError(f"inference_backend: expected auto, litert or tflite-runtime, "
                              f"got {self.inference_backend!r}")
        if not 0 <= self.inference_threads <= 16:
            raise ConfigError(f"inference_threads: expected 0 (board default) to 16, got {self.inference_threads!r}")
        if self.answer_cache not in ("auto", "on", "off"):
            raise ConfigError(f"answer_cache: expected auto, on or off, got {self.answer_cache!r}")
        if not 1 <= self.answer_cache_mb <= 4096:
            raise ConfigError(f"answer_cache_mb: expected 1 to 4096 (MB), got {self.answer_cache_mb!r}")
        if self.frame_every_s <= 0:
            raise ConfigError("--frame-every: expected a positive number of seconds")

    @property
    def waits_for_models(self) -> bool:
        """Does a file input start once the models are loaded? A recording stands for a visitor at a
        kiosk that is already running; `now` plays it while they load (a visitor at start-up)."""
        return self.input != "mic" and self.input_start != "now"

    @property
    def uses_answer_cache(self) -> bool:
        return self.answer_cache == "on" or (self.answer_cache == "auto" and self.realtime)

    @property
    def realtime(self) -> bool:
        if self.pace != "auto":
            return self.pace == "realtime"
        return self.input == "mic" or self.output == "speaker" or self.display == "window"
