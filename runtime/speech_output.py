"""The speaking stage: answer text -> synthesiser -> audio sink, with the mouth's track.

A worker thread synthesises one clause at a time and hands it to the sink the
moment it exists; the sink says when it will be heard, and the clause's visemes
go on the track at exactly that time. An answer can be prepared speculatively
(held, not played) and then committed or dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Callable

from .audio.sinks import AudioSink
from .errors import EdgeAvatarError
from .tts.base import SpeechSegment, Synthesizer
from .visemes import VisemeTrack

_LOGGER = logging.getLogger(__name__)
Clock = Callable[[], float]


@dataclass
class Utterance:
    """One answer being spoken. Times are on the session time line (seconds)."""

    text: str
    lang: str
    held: bool = False
    dropped: bool = False
    ready: list[SpeechSegment] = field(default_factory=list)
    first_ready_at: float | None = None   # first clause synthesised
    first_audio_at: float | None = None   # first sample handed to the sink
    heard_from: float | None = None       # when the sink plays the first sample
    heard_until: float | None = None
    synth_seconds: float = 0.0            # wall time spent in the synthesiser
    audio_seconds: float = 0.0
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    first_ready: threading.Event = field(default_factory=threading.Event)
    first_played: threading.Event = field(default_factory=threading.Event)


class SpeechOutput:
    def __init__(self, synthesizers: dict[str, Synthesizer], sink: AudioSink, clock: Clock,
                 wall: Callable[[], float]):
        self._synthesizers = synthesizers
        self.sink = sink
        self._clock = clock
        self._wall = wall
        self._track = VisemeTrack()
        self._lock = threading.Lock()
        self._jobs: queue.Queue[Utterance | None] = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="speech-output", daemon=True)
        self._worker.start()

    # -- control (main thread)
    def say(self, text: str, lang: str, held: bool = False) -> Utterance:
        if lang not in self._synthesizers:
            raise EdgeAvatarError(f"speech: no synthesiser for language {lang!r}")
        utterance = Utterance(text, lang, held=held)
        if not held:
            utterance.released.set()
        self._jobs.put(utterance)
        return utterance

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._synthesizers)

    def set_synthesizer(self, lang: str, synthesizer: Synthesizer) -> None:
        """Use another voice from the next utterance on."""
        self._synthesizers = {**self._synthesizers, lang: synthesizer}

    def release(self, utterance: Utterance) -> None:
        """Play a held (speculative) utterance now."""
        utterance.held = False
        utterance.released.set()

    def drop(self, utterance: Utterance) -> None:
        utterance.dropped = True
        utterance.released.set()

    def viseme_at(self, t: float) -> str:
        with self._lock:
            return self._track.at(t)

    def viseme_keys(self, since: float, until: float) -> list[tuple[int, str]]:
        with self._lock:
            return self._track.keys(since, until)

    def busy_until(self) -> float:
        return self.sink.busy_until()

    def close(self) -> None:
        self._jobs.put(None)
        self._worker.join(timeout=10)

    # -- worker thread
    def _run(self) -> None:
        while True:
            utterance = self._jobs.get()
            if utterance is None:
                return
            try:
                self._speak(utterance)
            except EdgeAvatarError as err:
                utterance.error = str(err)
                _LOGGER.error("speech: %s", err)
            except Exception as err:  # keep the kiosk talking after an engine fault
                utterance.error = f"{type(err).__name__}: {err}"
                _LOGGER.exception("speech: unexpected failure")
            finally:
                utterance.first_ready.set()
                utterance.first_played.set()
                utterance.done.set()

    def _speak(self, utterance: Utterance) -> None:
        synthesizer = self._synthesizers[utterance.lang]
        segments = iter(synthesizer.synthesize(utterance.text))
        while True:
            started = self._wall()
            segment = next(segments, None)
            utterance.synth_seconds += self._wall() - started
            if segment is None or utterance.dropped:
                return
            if utterance.first_ready_at is None:
                utterance.first_ready_at = self._clock()
                utterance.first_ready.set()
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

    def _play(self, utterance: Utterance, segment: SpeechSegment) -> None:
        now = self._clock()
        start = self.sink.play(segment.audio, now)
        with self._lock:
            if segment.phonemes:
                self._track.add_phonemes(start, segment.phonemes)
            else:
                self._track.add_audio(start, segment.audio)
        if utterance.first_audio_at is None:
            utterance.first_audio_at = now
            utterance.heard_from = start
            utterance.first_played.set()
        utterance.heard_until = start + segment.audio.seconds
        utterance.audio_seconds += segment.audio.seconds
