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
from typing import TYPE_CHECKING, Callable

from .audio.chunk import AudioChunk
from .audio.sinks import AudioSink
from .errors import EdgeAvatarError
from .tts.base import SpeechSegment, Synthesizer
from .visemes import VisemeTrack

if TYPE_CHECKING:
    from .lipsync.audio_visemes import AudioVisemes

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
    cut_at: float | None = None           # barge-in: playback stopped here
    done: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    first_ready: threading.Event = field(default_factory=threading.Event)
    first_played: threading.Event = field(default_factory=threading.Event)


class SpeechOutput:
    def __init__(self, synthesizers: dict[str, Synthesizer], sink: AudioSink, clock: Clock,
                 wall: Callable[[], float], lip_sync: "AudioVisemes | None" = None):
        self._synthesizers = synthesizers
        self._lip_sync = lip_sync   # visemes from audio, for segments with no phoneme times
        self.sink = sink
        self._clock = clock
        self._wall = wall
        self._track = VisemeTrack()
        self._levels = _LevelTrack()
        self._lock = threading.Lock()
        self._jobs: queue.Queue[Utterance | None] = queue.Queue()
        self.volume = 1.0           # 0..1, the fleet's set-volume
        self._active: list[Utterance] = []
        self._worker = threading.Thread(target=self._run, name="speech-output", daemon=True)
        self._worker.start()

    # -- control (main thread)
    def say(self, text: str, lang: str, held: bool = False) -> Utterance:
        if lang not in self._synthesizers:
            raise EdgeAvatarError(f"speech: no synthesiser for language {lang!r}")
        utterance = Utterance(text, lang, held=held)
        if not held:
            utterance.released.set()
        with self._lock:
            self._active = [u for u in self._active if not u.done.is_set()] + [utterance]
        self._jobs.put(utterance)
        return utterance

    def interrupt(self, now: float) -> float:
        """The visitor spoke over the avatar: stop playback at once, drop everything queued, close
        the mouth. Returns the time playback actually stops; each cut utterance keeps `cut_at`."""
        with self._lock:
            stopped = self.sink.stop(now)
            self._track.cut(stopped)
            self._levels.cut(stopped)
            active = list(self._active)
        for u in active:
            if u.done.is_set() and (u.heard_until is None or u.heard_until <= stopped):
                continue
            u.dropped = True
            u.released.set()
            if u.heard_from is not None and u.heard_from < stopped:
                u.cut_at = stopped
                u.heard_until = min(u.heard_until or stopped, stopped)
        return stopped

    def far_level(self, t: float) -> float:
        """RMS of what the speaker plays at `t` (the barge-in gate's reference); 0 when silent."""
        with self._lock:
            return self._levels.at(t)

    def far_audio(self, start: float, seconds: float):
        """16 kHz float samples the speaker plays from `start` (the echo canceller's reference)."""
        with self._lock:
            return self._levels.samples_between(start, start + seconds)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._synthesizers)

    @property
    def synthesizers(self) -> dict[str, Synthesizer]:
        return dict(self._synthesizers)

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
        if utterance.dropped:
            return
        audio = segment.audio
        if self.volume < 1.0:
            audio = AudioChunk.from_float(audio.float_samples() * self.volume, audio.rate, audio.timestamp)
        keys = self._lip_sync.keys(segment.audio) if self._lip_sync and not segment.phonemes else None
        with self._lock:
            start = self.sink.play(audio, now)
            self._levels.add(start, audio)
            if segment.phonemes:
                self._track.add_phonemes(start, segment.phonemes)
            elif keys is not None:
                self._track.add_keys(start, keys, segment.audio.seconds)
            else:
                self._track.add_audio(start, segment.audio)
        if utterance.first_audio_at is None:
            utterance.first_audio_at = now
            utterance.heard_from = start
            utterance.first_played.set()
        utterance.heard_until = start + segment.audio.seconds
        utterance.audio_seconds += segment.audio.seconds


class _LevelTrack:
    """What the speaker plays, on the output time line: 16 kHz samples (the last minute) and
    their loudness — the echo canceller's reference and the barge-in gate's."""

    RATE = 16000
    KEEP_S = 60.0

    def __init__(self) -> None:
        import numpy as np
        self._np = np
        self.start = 0.0                         # time of samples[0]
        self.samples = np.zeros(0, dtype=np.float32)

    def add(self, start: float, chunk) -> None:
        np = self._np
        x = chunk.converted(rate=self.RATE, channels=1).float_samples().astype(np.float32)
        if not self.samples.size:
            self.start = start
        first = int(round((start - self.start) * self.RATE))
        if first < 0:
            x, first = x[-first:], 0
        need = first + x.size
        if need > self.samples.size:
            self.samples = np.concatenate([self.samples, np.zeros(need - self.samples.size, dtype=np.float32)])
        self.samples[first:need] = x
        drop = self.samples.size - int(self.KEEP_S * self.RATE)
        if drop > 0:
            self.samples, self.start = self.samples[drop:], self.start + drop / self.RATE

    def cut(self, t: float) -> None:
        i = max(0, int(round((t - self.start) * self.RATE)))
        self.samples = self.samples[:i]

    def samples_between(self, t0: float, t1: float):
        np = self._np
        i0, i1 = int(round((t0 - self.start) * self.RATE)), int(round((t1 - self.start) * self.RATE))
        out = np.zeros(max(0, i1 - i0), dtype=np.float32)
        a, b = max(i0, 0), min(i1, self.samples.size)
        if b > a:
            out[a - i0:b - i0] = self.samples[a:b]
        return out

    def at(self, t: float) -> float:
        x = self.samples_between(t, t + 0.032)
        return float(self._np.sqrt(self._np.mean(x * x))) if x.size else 0.0
