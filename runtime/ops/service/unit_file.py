"""The systemd unit for a kiosk (pure: options in, unit text out) and its installation."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from runtime.shared.errors import ConfigError

UNIT_NAME = "edge-avatar.service"


@dataclass(frozen=True)
class UnitOptions:
    exec_args: tuple[str, ...]             # what follows `edge-avatar run`
    user: str = "kiosk"
    data_dir: Path = Path("/var/lib/edge-avatar")
    watchdog_s: int = 30
    environment: tuple[tuple[str, str], ...] = ()
    executable: str = field(default_factory=lambda: str(Path(sys.executable).with_name("edge-avatar")))
    # start through the launcher (runtime/ops/service/launcher.py), which runs the runtime slot the fleet
    # installed (A/B) and rolls a new one back when it does not come up; False: the base install only
    launcher: bool = True


def render_unit(o: UnitOptions) -> str:
    if o.watchdog_s < 5:
        raise ConfigError(f"--watchdog {o.watchdog_s}: expected at least 5 seconds")
    env = "".join(f"Environment={shlex.quote(f'{k}={v}')}\n" for k, v in
                  (("EDGE_AVATAR_DATA", str(o.data_dir)), ("EDGE_AVATAR_CACHE", str(o.data_dir / "cache")),
                   # glibc gives each thread its own heap arena and keeps freed memory in it: with the
                   # audio, synthesis and fleet threads of a kiosk that runs for months, RSS creeps.
                   ("MALLOC_ARENA_MAX", "2"), *o.environment))
    run = [o.executable, "run", "--data-dir", str(o.data_dir), *o.exec_args]
    if o.launcher:
        python = str(Path(o.executable).with_name("python"))
        run = [python, "-m", "runtime.ops.service.launcher", "--data-dir", str(o.data_dir), "--base", o.executable,
               "--", *run[1:]]
    cmd = shlex.join(run)
    return f"""# written by `edge-avatar service install`; re-run it rather than editing by hand
[Unit]
Description=edge-avatar kiosk (hears, answers, shows the avatar)
Wants=network-online.target time-sync.target
After=network-online.target time-sync.target sound.target
# at most 10 starts in 10 minutes, then stay down and let `edge-avatar service status` say why
StartLimitIntervalSec=600
StartLimitBurst=10

[Service]
Type=notify
NotifyAccess=main
User={o.user}
WorkingDirectory={o.data_dir}
{env}ExecStart={cmd}
# READY=1 comes when the avatar is on screen and the kiosk listens; WATCHDOG=1 from the main loop (through
# the launcher's notify socket, when it runs the kiosk; it judges a new runtime version by the kiosk's
# health lines). While a kiosk process starts (a trial's up to 3 starts, the old version after a roll
# back) the launcher itself sends WATCHDOG=1 and EXTEND_TIMEOUT_USEC, for at most the trial's ready
# deadline per start, so neither limit below ends it mid-trial (runtime/ops/service/stand_in.py)
TimeoutStartSec={150 if o.launcher else 90}
WatchdogSec={o.watchdog_s}
# a crash, a hung loop (watchdog) and exit 75 (the fleet asked for a restart) all start it again
Restart=on-failure
RestartSec=2
# logs go to journald (bounded by its own limits): nothing else writes to the SD card but the data folder;
# the whole file system is read-only to the kiosk but that folder, so a read-only root changes nothing
StandardOutput=journal
StandardError=journal
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
NoNewPrivileges=yes
ReadWritePaths={o.data_dir}

[Install]
WantedBy=multi-user.target
"""


def install_unit(text: str, unit_dir: Path = Path("/etc/systemd/system"), enable: bool = True,
                 data_dir: Path | None = None, user: str | None = None) -> Path:
    """Write the unit; create the data folder for `user`; enable and start it unless told not to."""
    if data_dir is not None:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        if user:
            try:
                shutil.chown(data_dir, user)
            except (LookupError, PermissionError) as err:
                raise ConfigError(f"{data_dir}: cannot give it to user {user!r} ({err}); create the user first "
                                  f"(sudo adduser --system --group {user}) or pass --user") from None
    path = Path(unit_dir) / UNIT_NAME
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot write the unit ({err}); run as root (sudo)") from None
    if enable:
        if not shutil.which("systemctl"):
            raise ConfigError("systemctl not found: this machine does not run systemd; unit written to " + str(path))
        for cmd in (["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", UNIT_NAME]):
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                raise ConfigError(f"{' '.join(cmd)}: {done.stderr.strip() or done.returncode}")
    return path
