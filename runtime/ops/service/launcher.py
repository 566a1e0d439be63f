"""The tiny launcher the systemd unit runs: it decides which runtime slot starts, and judges a new one.

    python -m runtime.ops.service.launcher --data-dir /var/lib/edge-avatar -- run --data-dir /var/lib/edge-avatar ...

Without a trial it starts ``current/runtime``'s ``edge-avatar`` (or the base install's when there is
no slot) with the arguments after ``--`` and waits for it, passing its sd_notify messages on to
systemd (its own notify socket stands between them) and its exit code back. With a trial
(``runtime-trial.json``, written by the fleet installer) it counts the start durably, switches the
link, starts the new version and judges it (``launch_plan``): its health check (listening,
rendering, and the fleet connected when the kiosk embeds the agent: the kiosk's sd_notify lines)
passed in time and up for the settle time — committed; crashed — started again until
``max_starts``, then rolled back; a check never passed — stopped and rolled back, naming it. A
verdict is written before the link moves back, so a power loss at any step is finished at the next
start. While a child is starting the launcher keeps systemd's watchdog fed and its start timeout
extended (``stand_in``), so systemd never ends it in the middle of a trial. It imports nothing of
the fleet and never the slot's code: it is the part of the kiosk a runtime bundle does not replace.
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runtime.shared import power_loss
from runtime.shared.durable_files import fsync_dir, point_link_atomic, remove_file
from runtime.shared.runtime_slots import (
    COMMITTED,
    ROLLED_BACK,
    SlotFiles,
    SlotVerdict,
    Trial,
    read_starts,
    read_trial,
    read_verdict,
    slot_executable,
    write_starts,
    write_verdict,
)

from .launch_plan import Phase, Start, TrialRun, checks_in, plan_start, verdict_of
from .stand_in import StandIn, watchdog_s

_LOGGER = logging.getLogger("edge-avatar.launcher")


def is_ready(message: str) -> bool:
    return "READY=1" in message.split("\n")


class NotifyProxy:
    """The child's NOTIFY_SOCKET: a datagram socket whose every message goes on to the service
    manager's socket (when there is one); the launcher reads them too (READY=1, the health lines)."""

    def __init__(self, upstream: str | None):
        self.folder = Path(tempfile.mkdtemp(prefix="edge-avatar-notify-"))
        self.path = self.folder / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.upstream = upstream

    def receive(self, timeout: float) -> list[str]:
        ready, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        messages = []
        while ready:
            messages.append(self.sock.recv(4096).decode("utf-8", "replace"))
            ready, _, _ = select.select([self.sock], [], [], 0)
        for m in messages:
            self.send_up(m)
        return messages

    def send_up(self, message: str) -> None:
        if not self.upstream:
            return
        address = "\0" + self.upstream[1:] if self.upstream.startswith("@") else self.upstream
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            try:
                s.sendto(message.encode(), address)
            except OSError as err:
                _LOGGER.warning("sd_notify to %s failed: %s", self.upstream, err)

    def close(self) -> None:
        self.sock.close()
        self.path.unlink(missing_ok=True)
        self.folder.rmdir()


def failpoint(name: str) -> None:
    """``EDGE_AVATAR_FAILPOINT=launcher-<name>``: SIGKILL here (the crash tests; as ``fleet.failpoints``,
    a power cut with ``EDGE_AVATAR_POWER_LOSS=1``)."""
    if os.environ.get("EDGE_AVATAR_FAILPOINT") == f"launcher-{name}":
        power_loss.lose_unsynced(f"launcher-{name}")
        os.kill(os.getpid(), signal.SIGKILL)


def _exit_code(code: int) -> int:
    return 128 - code if code < 0 else code          # killed by signal N: 128 + N, as a shell says


class Launcher:
    def __init__(self, data_dir: Path, child_args: list[str], base_exe: Path, proxy: NotifyProxy,
                 stand_in: StandIn | None = None):
        self.files = SlotFiles(Path(data_dir))
        self.child_args = child_args
        self.base_exe = Path(base_exe)
        self.proxy = proxy
        self.stand_in = stand_in or StandIn(watchdog_s(os.environ))
        self.child: subprocess.Popen | None = None
        self.stopping = False

    # ---- signals -------------------------------------------------------------------------------
    def stop(self, signum, _frame) -> None:
        self.stopping = True
        if self.child and self.child.poll() is None:
            self.child.send_signal(signum)

    # ---- which slot ----------------------------------------------------------------------------
    def run(self) -> int:
        while True:
            trial = read_trial(self.files)
            starts = read_starts(self.files, trial.bundle_id) if trial else 0
            ready = trial is None or slot_executable(Path(trial.to)).exists()
            action, why = plan_start(trial, read_verdict(self.files), starts, ready)
            if action is Start.CURRENT:
                return self._run_current()
            if action is Start.FINISH:
                self._apply(trial, read_verdict(self.files))
            elif action is Start.ROLL_BACK:
                self._decide(trial, ROLLED_BACK, why)
            else:
                _LOGGER.warning("trying runtime %s (%s)", trial.version, why)
                write_starts(self.files, trial.bundle_id, starts + 1)    # counted before it can crash
                failpoint("counted")
                point_link_atomic(self.files.link, Path(trial.to))
                failpoint("switched")
                code = self._run_trial(trial, starts)
                if code is not None:
                    return code
            if self.stopping:
                return 0

    def _executable(self) -> Path:
        slot = self.files.current()
        if slot is None:
            return self.base_exe
        exe = slot_executable(slot)
        if not exe.exists():
            _LOGGER.error("%s is missing: starting the base install (%s)", exe, self.base_exe)
            return self.base_exe
        return exe

    def _start(self, grace_s: float | None = None) -> subprocess.Popen:
        env = {**os.environ, "NOTIFY_SOCKET": str(self.proxy.path)}
        env.pop("WATCHDOG_PID", None)                   # the watchdog pings come from the child now
        exe = self._executable()
        if exe != self.base_exe:                        # a slot runs its own code, not a PYTHONPATH's
            env.pop("PYTHONPATH", None)
            env.pop("PYTHONHOME", None)
        _LOGGER.info("starting %s", exe)
        self.child = subprocess.Popen([str(exe), *self.child_args], env=env)
        self.stand_in.started(time.monotonic(), grace_s)
        if self.stopping:       # the stop came while it was being started (`stop` saw the one before): pass it on
            self.child.terminate()
        return self.child

    def _receive(self, timeout: float) -> list[str]:
        """The child's messages (passed up), and ours on its behalf while it starts."""
        messages = self.proxy.receive(min(timeout, self.stand_in.wait_s(time.monotonic())))
        if any(is_ready(m) for m in messages):
            self.stand_in.ready()
        for message in self.stand_in.due(time.monotonic()):
            self.proxy.send_up(message)
        return messages

    def _run_current(self) -> int:
        child = self._start()
        while child.poll() is None:
            self._receive(0.5)
        return _exit_code(child.returncode)

    # ---- a trial -------------------------------------------------------------------------------
    def _run_trial(self, trial: Trial, starts: int) -> int | None:
        """Judge one start of the trial version. Returns the exit code when the launcher is done
        (committed and the process ended, or a stop was asked); None to plan again."""
        child = self._start(trial.ready_deadline_s)
        judged = TrialRun(trial, time.monotonic())
        while not judged.over:
            messages = self._receive(min(0.5, judged.wait_s(time.monotonic())))
            now = time.monotonic()
            judged.checked(set().union(*map(checks_in, messages)), now)
            if child.poll() is not None:
                if self.stopping:                         # systemd stopped us: not the version's fault
                    write_starts(self.files, trial.bundle_id, starts)
                    return 0
                judged.exited(child.returncode, now)
            judged.tick(now)
        _LOGGER.warning("runtime %s: %s (%s)", trial.version, judged.phase.value, judged.detail)
        if judged.phase is Phase.PASSED:
            self._decide(trial, COMMITTED, judged.detail)
            while child.poll() is None:
                self._receive(0.5)
            return _exit_code(child.returncode)
        if judged.phase is Phase.NOT_READY:
            self._end(child)
            self._decide(trial, ROLLED_BACK, judged.detail)
        return None

    def _end(self, child: subprocess.Popen) -> None:
        child.terminate()
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def _decide(self, trial: Trial, outcome: str, detail: str) -> None:
        """The verdict first (durable), then the link and the trial files: any prefix is finished
        by the next start (``Start.FINISH``)."""
        write_verdict(self.files, verdict_of(trial, outcome, detail))
        failpoint("judged")
        self._apply(trial, read_verdict(self.files))

    def _apply(self, trial: Trial, verdict: SlotVerdict) -> None:
        back = Path(trial.came_from) if trial.came_from else None
        point_link_atomic(self.files.link, Path(trial.to) if verdict.outcome == COMMITTED else back)
        failpoint("applied")
        remove_file(self.files.launch_file, sync=False)
        remove_file(self.files.trial_file, sync=False)     # last: no trial file means the trial is over
        fsync_dir(self.files.data)
        _LOGGER.warning("runtime %s %s: %s", trial.version, verdict.outcome, verdict.detail)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m runtime.ops.service.launcher", description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--base", type=Path, default=Path(sys.executable).with_name("edge-avatar"),
                    help="the edge-avatar of the base install (run when no slot is current)")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="-- then the arguments of edge-avatar (run ...)")
    args = ap.parse_args(argv)
    child_args = args.args[1:] if args.args[:1] == ["--"] else args.args
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s launcher: %(message)s")
    proxy = NotifyProxy(os.environ.get("NOTIFY_SOCKET"))
    launcher = Launcher(args.data_dir, child_args, args.base, proxy)
    signal.signal(signal.SIGTERM, launcher.stop)
    signal.signal(signal.SIGINT, launcher.stop)
    try:
        return launcher.run()
    finally:
        proxy.close()


if __name__ == "__main__":
    sys.exit(main())
