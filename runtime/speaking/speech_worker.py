"""The "speech-output" worker thread: synthesises one utterance at a time, a clause at a time, and
hands each clause on the moment it exists (or keeps it while the utterance is held)."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

from runtime.shared.errors import EdgeAvatarError
from runtime.tts.base import SpeechSegment, Synthesizer, at_pace

from .utterance import Step, Utterance

_LOGGER = logging.getLogger(__name__)


class SpeechWorker:
    """`synthesizer(lang)` gives the voice; `play(utterance, segment)` takes each clause; `clock` is
    the session time line, `wall` times the synthesiser."""

    def __init__(self, synthesizer: Callable[[str], Synthesizer],
                 play: Callable[[Utterance, SpeechSegment], None],
                 clock: Callable[[], float], wall: Callable[[], float]):
        self._synthesizer = synthesizer
        self._play = play
        self._clock = clock
        self._wall = wall
        self._jobs: queue.Queue[Utterance | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="speech-output", daemon=True)
        self._thread.start()

    def put(self, utterance: Utterance) -> None:
        self._jobs.put(utterance)

    def close(self, timeout: float = 10) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=timeout)

    def _run(self) -> None:
        while True:
            utterance = self._jobs.get()
            if utterance is None:
                return
            error = None
            try:
                self._speak(utterance)
            except EdgeAvatarError as err:
                error = str(err)
                _LOGGER.error("speech: %s", err)
            except Exception as err:  # keep the kiosk talking after an engine fault
                error = f"{type(err).__name__}: {err}"
                _LOGGER.exception("speech: unexpected failure")
            finally:
                if error is None:
                    utterance.step(Step.FINISH)
                else:
                    utterance.step(Step.FAIL, error=error)

    def _speak(self, utterance: Utterance) -> None:
        segments = iter(self._synthesizer(utterance.lang).synthesize(*at_pace(utterance.text, utterance.pace)))
        while True:
            started = self._wall()
            segment = next(segments, None)
            utterance.synth_seconds += self._wall() - started
            if segment is None or utterance.dropped:
                return
            if utterance.first_ready_at is None:
                utterance.first_ready_at = self._clock()
                utterance.step(Step.READY)
            if not utterance.released.is_set():
                utterance.ready.append(segment)
                utterance.released.wait()
                if utterance.dropped:
                    return
                for held in utterance.ready:
                    self._play(utterance, held)
                utterance.ready.clear()
                continue
            self._play(utterance, segment)
