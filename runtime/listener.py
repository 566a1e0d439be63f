"""The listening stage: VAD frames -> endpointer -> streaming recogniser.

`Listener.process(chunk, now)` returns what happened in that chunk: a turn
started, a pause worth speculating on (with the words so far), the pause was
not the end, or the turn ended (with the final transcript).
"""

from __future__ import annotations

import collections
import logging
from typing import Callable, Union

from .asr.base import Recognizer
from .audio.chunk import AudioChunk
from .audio.sources import CHUNK_SECONDS
from .endpointing import Endpointer, EndpointKind
from .level_gate import LevelGate
from .events import RunEvent, Speculation, TurnEnd
from .turn_hints import EndHint, end_hint
from .vad import VadFramer, VoiceActivityDetector

_LOGGER = logging.getLogger(__name__)

ListenEvent = Union[tuple[RunEvent, float], tuple[RunEvent, Speculation], tuple[RunEvent, TurnEnd]]
Clock = Callable[[], float]


class Listener:
    def __init__(self, vad: VoiceActivityDetector, recognizer: Recognizer, endpointer: Endpointer,
                 is_complete: Callable[[str], bool] = lambda text: False, level_gate: LevelGate | None = None):
        self.recognizer = recognizer
        self.endpointer = endpointer
        self.level_gate = level_gate   # babble and far talkers do not open turns
        self._framer = VadFramer(vad)
        self._is_complete = is_complete
        preroll_chunks = max(1, round(endpointer.config.preroll_s / CHUNK_SECONDS))
        self._preroll: collections.deque[AudioChunk] = collections.deque(maxlen=preroll_chunks)
        self._partial_cache: tuple[float, EndHint] = (-1.0, EndHint.NONE)
        self.audio_seconds = 0.0
        self.last_prob = 0.0   # the highest speech probability in the last chunk (for barge-in)

    def process(self, chunk: AudioChunk, clock: Clock) -> list[ListenEvent]:
        events: list[ListenEvent] = []
        was_in_turn = self.endpointer.in_turn
        if was_in_turn:
            self._feed(chunk)
        rms = chunk.rms() if chunk.audio else 0.0
        first = True
        for start, seconds, prob in self._framer.frames(chunk):
            if self.level_gate is not None:
                prob = self.level_gate.gate(prob, rms, seconds)
            # A chunk that completes no VAD frame keeps the last frame's probability.
            self.last_prob = prob if first else max(self.last_prob, prob)
            first = False
            hint = EndHint.NONE
            if self.endpointer.in_turn and prob < self.endpointer.config.speech_threshold:
                hint = self._hint_at(start)
            for ev in self.endpointer.process(start, seconds, prob, hint):
                if ev.kind is EndpointKind.SPEECH_STARTED:
                    self.recognizer.start()
                    for old in self._preroll:
                        self._feed(old)
                    if not was_in_turn:
                        self._feed(chunk)
                    events.append((RunEvent.SPEECH_STARTED, ev.speech_start))
                elif ev.kind is EndpointKind.SPECULATE:
                    events.append((RunEvent.SPECULATION_STARTED,
                                   Speculation(self.recognizer.partial(), ev.time)))
                elif ev.kind is EndpointKind.SPEECH_RESUMED:
                    events.append((RunEvent.SPECULATION_DROPPED, ev.time))
                elif ev.kind is EndpointKind.TURN_ENDED:
                    events.append((RunEvent.TURN_ENDED, self._final(ev, clock)))
                elif ev.kind is EndpointKind.DISCARDED:
                    self.recognizer.finish()
                    events.append((RunEvent.TURN_DISCARDED, ev.time))
        self._preroll.append(chunk)
        return events

    def set_recognizer(self, recognizer: Recognizer) -> None:
        """Listen with another recogniser (the visitor switched language) from the next turn on."""
        if self.endpointer.in_turn:
            self.recognizer.finish()
            recognizer.start()
        self.recognizer = recognizer
        self._partial_cache = (-1.0, EndHint.NONE)
        _LOGGER.info("listening with %s (%s) from the next turn", recognizer.name,
                     getattr(recognizer, "language", "?"))

    def flush(self, clock: Clock) -> list[ListenEvent]:
        """End of input: finish a turn that was still open."""
        events: list[ListenEvent] = []
        for ev in self.endpointer.flush(clock()):
            if ev.kind is EndpointKind.TURN_ENDED:
                events.append((RunEvent.TURN_ENDED, self._final(ev, clock)))
            else:
                self.recognizer.finish()
                events.append((RunEvent.TURN_DISCARDED, ev.time))
        return events

    def _feed(self, chunk: AudioChunk) -> None:
        self.recognizer.accept(chunk)
        self.audio_seconds += chunk.seconds

    def _hint_at(self, t: float) -> EndHint:
        # Ask the recogniser at most once per 100 ms of pause: its partial is not free.
        last_t, last = self._partial_cache
        if t - last_t < 0.1:
            return last
        result = end_hint(self.recognizer.partial(), self._is_complete)
        self._partial_cache = (t, result)
        return result

    def _final(self, ev, clock: Clock) -> TurnEnd:
        transcript = self.recognizer.finish()
        self._partial_cache = (-1.0, EndHint.NONE)
        return TurnEnd(transcript, ev.speech_start, ev.speech_end, ev.time, clock(), ev.waited_s, ev.hint)
