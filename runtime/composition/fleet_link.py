"""The kiosk under fleet management: run on what the agent installed, and let the agent in.

``installed_config`` points a ``KioskConfig`` at ``DATA/current/<kind>`` for every kind the
fleet has installed, then applies the admin's desired settings (``DATA/settings.yaml``).
``KioskControl`` is the embedded agent's ``DeviceControl``: it speaks, changes the volume,
reloads content live, and asks for a restart (exit code 75, which systemd turns into a
restart) when a voice, model, avatar, panel or setting needs a fresh start. It also hands every
staff alert the kiosk records to the agent, which publishes it retained until acknowledged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any, Callable

from runtime.conversation.kiosk import Kiosk
from runtime.ops.daily_count import DailyCount
from runtime.ops.event_recorder import EventKind
from runtime.shared.errors import ConfigError

from .config import KioskConfig
from .settings_file import check_settings_file

_LOGGER = logging.getLogger(__name__)
RESTART_EXIT_CODE = 75          # EX_TEMPFAIL: "start me again" for the service manager
LIVE_SETTINGS = ("volume",)


def _one_yaml(folder: Path) -> Path | None:
    files = sorted(folder.glob("*.yaml"))
    return files[0] if len(files) == 1 else None


def installed_config(cfg: KioskConfig, data_dir: Path) -> KioskConfig:
    from .settings_file import load_settings
    current = Path(data_dir) / "current"
    changes: dict[str, Any] = {}
    barred = _barred_by_rights(cfg, data_dir)
    if (current / "content").is_dir() and "content" not in barred:
        changes["content_dir"] = current / "content"
    if (current / "avatar").is_dir() and "avatar" not in barred:
        changes["avatar_dir"] = current / "avatar"
    if (current / "panel").is_dir() and (profile := _one_yaml(current / "panel")):
        changes["panel"] = str(profile)
    models = tuple(current / k for k in ("voice", "asr-model", "tflite-model")
                   if (current / k).is_dir() and k not in barred)
    if models:
        changes["fleet_model_dirs"] = models
    cfg = dataclasses.replace(cfg, **changes)
    for settings in ((current / "config").is_dir() and _one_yaml(current / "config"),
                     Path(data_dir) / "settings.yaml"):
        if settings and settings.is_file():
            try:
                cfg = load_settings(settings, cfg)
            except ConfigError as err:     # the agent validated it; a hand edit may not be
                _LOGGER.error("ignoring %s: %s", settings, err)
    if changes:
        _LOGGER.info("running on fleet-installed %s", ", ".join(sorted(changes)))
    return cfg


def _barred_by_rights(cfg: KioskConfig, data_dir: Path) -> dict[str, str]:
    """Installed kinds whose consent has ended or that were revoked: the kiosk starts on the defaults."""
    import datetime as dt
    import time

    from runtime.rights.consent import Site

    from .rights_guard import trusted_clock, unusable_kinds
    clock = trusted_clock(data_dir)
    now = clock.now(dt.datetime.now(dt.timezone.utc), time.monotonic())
    barred = unusable_kinds(data_dir, Site(cfg.site, cfg.region), now, clock.trusted)
    for kind, why in barred.items():
        _LOGGER.error("rights: not using the installed %s (%s); starting on the default one", kind, why)
    return barred


class ErrorCounter(logging.Handler):
    """Counts ERROR records and keeps the last one, for telemetry (what an admin should look at)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.count = 0
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self.last = f"{record.name}: {record.getMessage()}"[:300]


class KioskControl:
    """The embedded agent's way into a running kiosk (its jobs run on the kiosk's thread)."""

    def __init__(self, kiosk: Kiosk, data_dir: Path, wall_clock: Callable[[], float] = time.time):
        self.kiosk = kiosk
        self.wall_clock = wall_clock                              # epoch seconds: the day of "answers today"
        self.data_dir = Path(data_dir)
        self.kiosk.speech.volume = self._settings().get("volume", 1.0)
        self.errors = ErrorCounter()
        logging.getLogger().addHandler(self.errors)
        self.rights = getattr(kiosk, "rights_guard", None)     # what the kiosk may show, for telemetry
        self.answers_today = DailyCount()                         # turns answered since the venue's midnight
        kiosk.events.subscribe(lambda kind, data: self.answers_today.add(self._venue_now()), EventKind.TURN)

    def _venue_now(self) -> dt.datetime:
        """Now in the venue's time zone (the content pack's `venue.timezone`, read at each call: a
        content reload may change it), else the kiosk's local time."""
        zone = getattr(getattr(self.kiosk, "responder", None), "timezone", None)
        now = dt.datetime.fromtimestamp(self.wall_clock(), zone)
        return now if zone is not None else now.astimezone()

    def _settings(self) -> dict:
        import yaml
        path = self.data_dir / "settings.yaml"
        return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}

    def restart(self, why: str) -> None:
        self.kiosk.stop_requested = f"restart: {why}"

    def command(self, name: str, args: dict) -> tuple[int, str, Any]:
        from fleet.device_control import collect_logs, write_settings_overlay
        from runtime.shared.board import board_health
        if name == "say":
            text = str(args.get("text", "")).strip()
            if not text:
                return 400, "say: args.text: expected the words to speak", None
            self.kiosk.post(lambda: self.kiosk.speech.say(text, self.kiosk.lang))
            return 200, f"saying {text[:60]!r}", None
        if name == "set-volume":
            level = args.get("level")
            if not isinstance(level, (int, float)) or isinstance(level, bool) or not 0 <= level <= 1:
                return 400, f"set-volume: args.level: expected a number from 0 to 1, got {level!r}", None
            write_settings_overlay(self.data_dir, {**self._settings(), "volume": float(level)}, check_settings_file)
            self.kiosk.speech.volume = float(level)
            return 200, f"volume {level:g}", None
        if name == "reload":
            self.kiosk.post(self._reload_content)
            return 200, "content reload queued", None
        if name == "restart":
            self.restart("requested by the fleet")
            return 200, f"restarting (exit {RESTART_EXIT_CODE})", None
        if name == "collect-logs":
            return 200, "ok", collect_logs(self.data_dir, int(args.get("lines", 200)))
        if name == "health":
            return 200, "ok", board_health()
        return 404, f"unknown command {name!r}", None

    def _reload_content(self) -> None:
        folder = self.data_dir / "current" / "content"
        if folder.is_dir():
            self.kiosk.reload_content(folder)

    def installed(self, kind: str) -> None:
        """After a commit: content switches live; anything else needs a fresh start."""
        self.kiosk.events.record(EventKind.INSTALL, {"kind": kind})
        if kind == "content":
            self.kiosk.post(self._reload_content)
        else:
            self.restart(f"new {kind} installed")

    def forward_staff_alerts(self, raise_alert: Callable[[dict], None]) -> None:
        """Every `staff-alert` event the kiosk records goes to the agent (`MqttAgent.raise_alert`:
        a queue put, so the kiosk's thread never waits for the disk or the broker)."""
        def forward(kind: EventKind, data: dict) -> None:
            raise_alert(dict(data))
        self.kiosk.events.subscribe(forward, EventKind.STAFF_ALERT)

    def apply_settings(self, settings: dict) -> None:
        from fleet.device_control import write_settings_overlay
        before = self._settings()
        write_settings_overlay(self.data_dir, settings, check_settings_file)
        self.kiosk.speech.volume = float(settings.get("volume", 1.0))
        if {k: v for k, v in before.items() if k not in LIVE_SETTINGS} != \
                {k: v for k, v in settings.items() if k not in LIVE_SETTINGS}:
            self.restart("new settings")

    def telemetry(self) -> dict:
        from runtime.shared.board import board_health
        run, now, frames = self.kiosk.run_state, time.monotonic(), self.kiosk.view.frames_drawn
        last_t, last_frames = getattr(self, "_fps_mark", (now, frames))
        self._fps_mark = (now, frames)
        fps = round((frames - last_frames) / (now - last_t), 1) if now > last_t else None
        return {"health": board_health(), "fps": fps,
                "interactions": len(run.turns), "answers_today": self.answers_today.value(self._venue_now()),
                "greetings": len(run.greetings), "barge_ins": len(run.barge_ins),
                "content": self.kiosk.responder.pack.venue_id,
                "rights": self.rights.record() if self.rights is not None else None,
                "errors": {"count": self.errors.count, "last": self.errors.last}}
