"""Running as a systemd service: the unit, the sd_notify protocol from a real run, the staff screen."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from runtime.cli.main import main as cli_main
from runtime.composition.config import DEMO_QUESTION
from runtime.ops.service.notifier import NullNotifier, SystemdNotifier, make_notifier
from runtime.ops.service.staff_status import judge, render
from runtime.ops.service.unit_file import UnitOptions, render_unit

REPO = Path(__file__).resolve().parents[1]


def test_the_unit_is_a_notify_service_with_a_watchdog_and_restarts(tmp_path, capsys):
    unit = render_unit(UnitOptions(("--fleet-broker", "mqtts://fleet:8883", "--device-id", "k 1"), "pi",
                                   Path("/srv/kiosk"), 20, (("SDL_VIDEODRIVER", "kmsdrm"),), "/opt/ea/bin/edge-avatar"))
    for line in ("Type=notify", "WatchdogSec=20", "Restart=on-failure", "User=pi", "StartLimitBurst=10",
                 "Environment=EDGE_AVATAR_DATA=/srv/kiosk", "Environment=SDL_VIDEODRIVER=kmsdrm",
                 "ExecStart=/opt/ea/bin/python -m runtime.ops.service.launcher --data-dir /srv/kiosk --base "
                 "/opt/ea/bin/edge-avatar -- run --data-dir /srv/kiosk --fleet-broker mqtts://fleet:8883 "
                 "--device-id 'k 1'", "ReadWritePaths=/srv/kiosk", "WantedBy=multi-user.target",
                 "ProtectSystem=strict", "Environment=EDGE_AVATAR_CACHE=/srv/kiosk/cache",
                 "Environment=MALLOC_ARENA_MAX=2"):
        assert line in unit.splitlines(), line
    plain = render_unit(UnitOptions(("--panel", "p"), executable="/opt/ea/bin/edge-avatar", launcher=False))
    assert "ExecStart=/opt/ea/bin/edge-avatar run --data-dir /var/lib/edge-avatar --panel p" in plain.splitlines()
    assert cli_main(["service", "install", "--unit-dir", str(tmp_path), "--no-enable", "--user", "pi",
                     "--", "--panel", "pyramid-1080"]) == 0
    written = (tmp_path / "edge-avatar.service").read_text()
    assert "run --data-dir /var/lib/edge-avatar --panel pyramid-1080" in written
    # systemd sees the launcher as the service: it relays the kiosk's sd_notify and speaks for a starting one
    assert "NotifyAccess=main" in unit.splitlines() and "TimeoutStartSec=150" in unit.splitlines()
    assert "TimeoutStartSec=90" in plain.splitlines()
    assert cli_main(["service", "unit", "--watchdog", "2"]) == 2
    assert "at least 5 seconds" in capsys.readouterr().err


def test_the_launcher_speaks_for_a_starting_child_within_its_grace_only():
    """While its child loads (no READY=1 from it), the launcher feeds systemd's watchdog and extends
    the start timeout, at twice the watchdog rate, for at most the grace (the trial's ready deadline);
    a child that said READY=1 pings for itself; one that hangs past the grace is left to systemd."""
    from runtime.ops.service.stand_in import EXTEND_MARGIN_S, StandIn, watchdog_s
    stand_in = StandIn(watchdog_s({"WATCHDOG_USEC": "30000000"}))
    assert stand_in.due(0.0) == []                                     # no child yet
    stand_in.started(100.0, grace_s=120.0)
    assert stand_in.due(100.0) == ["WATCHDOG=1", f"EXTEND_TIMEOUT_USEC={int((120 + 15 + EXTEND_MARGIN_S) * 1e6)}"]
    assert stand_in.due(110.0) == [] and stand_in.wait_s(110.0) == 5.0
    assert stand_in.due(115.0)[0] == "WATCHDOG=1"
    assert stand_in.due(215.0)[0] == "WATCHDOG=1"                      # 5 s of the grace left
    assert stand_in.due(230.0) == [] and stand_in.wait_s(230.0) == 3600.0   # the grace is over: systemd's limits
    stand_in.started(300.0)                                            # a roll back: the old one starts
    assert stand_in.due(301.0)
    stand_in.ready()
    assert stand_in.due(320.0) == [] and stand_in.wait_s(320.0) == 3600.0
    no_watchdog = StandIn(watchdog_s({}))
    no_watchdog.started(0.0, grace_s=60.0)
    assert [m.split("=")[0] for m in no_watchdog.due(0.0)] == ["EXTEND_TIMEOUT_USEC"]


def test_ready_comes_once_on_screen_and_listening_or_degraded_when_the_models_did_not_load():
    """READY=1 (systemd, the launcher) after the listening and rendering lines; a kiosk whose recogniser
    failed to load still becomes ready (it runs on degraded, as before) but never says it listens,
    so a runtime trial of it fails its listening check."""
    from runtime.ops.service.startup_health import StartupHealth
    sent = []
    health = StartupHealth(SystemdNotifier(None, send=sent.append), "listening (en)")
    health.tick(listening=False, rendering=True)                       # models still loading
    assert sent == ["X_EDGE_AVATAR_RENDERING=1"] and not health.ready
    health.tick(listening=False, rendering=True, loads_over=True)      # ... and the recogniser failed
    assert sent[1].startswith("READY=1\nSTATUS=on screen, NOT listening") and health.ready
    assert "X_EDGE_AVATAR_LISTENING=1" not in sent


def test_notifier_pings_at_twice_the_watchdog_rate_and_only_under_systemd():
    sent = []
    n = SystemdNotifier(watchdog_usec=10_000_000, send=sent.append)
    n.ready("listening (en)")
    for t in (0.0, 1.0, 4.9, 5.0, 7.0, 10.1):
        n.tick(t)
    n.status("3 questions answered")
    assert sent == ["READY=1\nSTATUS=listening (en)", "WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1",
                    "STATUS=3 questions answered"]
    assert isinstance(make_notifier({}), NullNotifier)


def test_a_real_run_speaks_the_sd_notify_protocol(tmp_path):
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(2)
    env = {**os.environ, "NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "200000", "PYTHONPATH": str(REPO),
           "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    proc = subprocess.Popen([sys.executable, "-m", "runtime", "run", "--input", str(DEMO_QUESTION), "--pace",
                             "realtime", "--output", "null", "--display", "headless"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    messages = []
    try:
        while True:
            try:
                messages.append(sock.recv(4096).decode())
            except socket.timeout:
                if proc.poll() is not None:
                    break
    finally:
        out, _ = proc.communicate(timeout=120)
        sock.close()
    assert proc.returncode == 0, out[-2000:]
    ready = [m for m in messages if m.startswith("READY=1")]
    assert ready and "listening (en)" in ready[0]
    # READY=1 once it listens (recogniser and voice loaded) and has rendered, each said first; the pings come
    # from the running loop, before READY=1 while the models load
    assert messages.index("X_EDGE_AVATAR_LISTENING=1") < messages.index(ready[0])
    assert messages.index("X_EDGE_AVATAR_RENDERING=1") < messages.index(ready[0])
    assert not any("X_EDGE_AVATAR_FLEET" in m for m in messages)        # no fleet configured: nothing to say
    assert sum(m == "WATCHDOG=1" for m in messages) >= 3
    assert any("1 visitor questions answered" in m for m in messages)


def test_the_staff_screen_says_why_it_is_not_healthy():
    healthy = {"systemd": {"ActiveState": "active", "SubState": "running", "NRestarts": "0",
                           "StatusText": "listening (zh), content mall-demo"},
               "board": {"disk_free_mb": 9000, "temps_c": {"cpu": 55.0}, "load1": 0.5},
               "versions": {"content": "1.4.0"}, "install_interrupted": False, "errors": []}
    ok, reasons = judge(healthy)
    assert ok and reasons == []
    assert render(healthy).splitlines()[0] == "HEALTHY: listening (zh), content mall-demo"
    sick = {**healthy, "systemd": {"ActiveState": "failed", "SubState": "failed", "Result": "watchdog",
                                   "NRestarts": "7", "ExecMainStatus": "0"},
            "board": {"disk_free_mb": 120, "temps_c": {"cpu": 86.0}}, "install_interrupted": True,
            "errors": ["runtime.kiosk: fleet request failed"]}
    ok, reasons = judge(sick)
    text = render(sick)
    assert not ok and text.startswith("NOT HEALTHY")
    for words in ("not running (failed/failed, last result watchdog", "restarted itself 7 times",
                  "120 MB free", "86 °C", "update was interrupted", "recent error: runtime.kiosk"):
        assert words in text, words
