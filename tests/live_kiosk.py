"""A live kiosk (`python -m runtime run`) on the tests' private PulseAudio, watched through its log."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

READY = "listening: recogniser and voice loaded"
LOOP_UP = "avatar up "      # logged just before the kiosk's loop starts reading the microphone
UNDERSTOOD = "(per-turn label only"   # the mood reader, the last of the responder's parts (composition/understanding.py)


def _ready_marks() -> tuple[Callable[[str], bool], ...]:
    """All three lines, in any order (runtime/composition/app.py): the models load in the background
    and may say READY before the loop runs; until it runs, the microphone's queue (~2 s) fills and
    what the visitor says is dropped. The responder is built on its own thread: a question before it
    is done waits for it (on a loaded machine, ~10 s; tests/test_stage_recovery.py asks early on purpose)."""
    return (lambda line: READY in line, lambda line: LOOP_UP in line, lambda line: UNDERSTOOD in line)


class LiveKiosk:
    """Starts the kiosk with `args`; each of `marks` (name -> test on a log line) becomes an event
    a test can wait for (`expect`), as does "ready" (models loaded and the loop listening). The
    process is killed on exit."""

    def __init__(self, env: dict[str, str], args: list[str], marks: dict[str, Callable[[str], bool]] | None = None):
        self.marks = dict(marks or {})
        self.events = {name: threading.Event() for name in ["ready", *self.marks]}
        self._ready_seen = [False] * len(_ready_marks())
        self.log: list[str] = []
        self.proc = subprocess.Popen([sys.executable, "-m", "runtime", "run", *args], env=env,
                                     stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        for line in self.proc.stderr:
            self.log.append(line)
            for i, test in enumerate(_ready_marks()):
                self._ready_seen[i] = self._ready_seen[i] or test(line)
            if all(self._ready_seen):
                self.events["ready"].set()
            for name, test in self.marks.items():
                if test(line):
                    self.events[name].set()

    @property
    def text(self) -> str:
        return "".join(self.log)

    def expect(self, name: str, timeout: float) -> None:
        assert self.events[name].wait(timeout), f"no {name!r} in the kiosk's log:\n{self.text}"

    def finish(self, timeout: float = 60, what: str = "") -> None:
        """The kiosk ends by itself (`--max-turns`) with exit code 0."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the kiosk did not finish{' ' + what if what else ''}:\n{self.text}")
        assert code == 0, self.text

    def __enter__(self) -> "LiveKiosk":
        return self

    def __exit__(self, *_exc) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


@contextlib.contextmanager
def speaker_recording(env: dict[str, str], path: Path) -> Iterator[Path]:
    """What the kiosk's speaker plays (the `kiosk_out` sink's monitor), into a WAV file."""
    recorder = subprocess.Popen(["parecord", "--device=kiosk_out.monitor", "--file-format=wav",
                                 "--channels=1", "--rate=22050", str(path)], env=env)
    try:
        yield path
    finally:
        time.sleep(0.3)
        recorder.terminate()
        recorder.wait(timeout=10)


def wait_for_sound(recording: Path, seconds: float, timeout: float) -> None:
    """Until the speaker has played `seconds` of sound (10 ms frames above -34 dBFS) into a recording
    that `speaker_recording` is still writing: the avatar is audibly speaking, not only deciding to."""
    import numpy as np
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        raw = recording.read_bytes() if recording.exists() else b""
        start = raw.find(b"data")
        if start >= 0:
            body = raw[start + 8:]
            samples = np.frombuffer(body[:len(body) // 2 * 2], dtype="<i2").astype(np.float32) / 32768
            frames = samples[:len(samples) // 220 * 220].reshape(-1, 220)        # 10 ms at 22 050 Hz
            if (np.sqrt((frames ** 2).mean(axis=1)) > 0.02).sum() * 0.01 >= seconds:
                return
        time.sleep(0.1)
    raise AssertionError(f"the speaker did not play {seconds} s of sound within {timeout:.0f} s")


def say(env: dict[str, str], wav: Path) -> None:
    """The visitor speaks into the kiosk's microphone."""
    subprocess.run(["paplay", "--device=visitor", str(wav)], env=env, check=True, timeout=30)
