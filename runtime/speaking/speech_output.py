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

from runtime.audio.chunk import AudioChunk
from runtime.audio.played_audio import PlayedAudio
from runtime.audio.sinks import AudioSink
from runtime.lipsync.visemes import VisemeTrack
from runtime.shared.errors import EdgeAvatarError
from runtime.tts.base import SpeechSegment, Synthesizer

from .speech_pause import Scheduled, remainder
from .spoken_words import SpokenLog

if TYPE_CHECKING:
    from runtime.lipsync.audio_visemes import AudioVisemes

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
    paused: bool = False                  # stopped for a sound over it; may go on (`resume`)
    paused_s: float = 0.0                 # time spent paused (not heard) between heard_from and heard_until
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
        self._levels = PlayedAudio()
        self._spoken = SpokenLog()
        self._lock = threading.Lock()
        self._jobs: queue.Queue[Utterance | None] = queue.Queue()
        self.volume = 1.0           # 0..1, the fleet's set-volume
        self._active: list[Utterance] = []
        self._scheduled: list[Scheduled[Utterance]] = []   # handed to the sink, maybe not yet heard
        self._paused: list[tuple[SpeechSegment, Utterance]] | None = None   # to say on `resume`
        self._paused_at = 0.0
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
            now = self._clock()      # keep what is still being heard (or paused): a barge-in cuts it
            self._active = [u for u in self._active if not u.done.is_set() or u.paused
                            or (u.heard_until is not None and u.heard_until > now)] + [utterance]
        self._jobs.put(utterance)
        return utterance

    def pause(self, now: float) -> float:
        """Someone spoke over the avatar: stop playback and close the mouth at once, keeping what was
        not yet heard (from the start of the word it was in) for `resume`. Returns the stop time."""
        with self._lock:
            if self._paused is not None:
                return self._paused_at
            stopped = self.sink.stop(now)
            self._track.cut(stopped)
            self._levels.cut(stopped)
            self._spoken.cut(stopped)
            self._paused, self._paused_at = remainder(self._scheduled, stopped), stopped
            self._scheduled = []
            for u in self._active:
                if u.heard_until is None or u.heard_until < stopped:
                    u.paused = not u.done.is_set()        # still being synthesised: it waits too
                    continue
                u.paused = True
                if u.heard_from is not None and u.heard_from >= stopped:   # not begun: begins on resume
                    u.heard_from = u.heard_until = u.first_audio_at = None
                else:
                    u.heard_until = stopped
        return stopped

    def resume(self, now: float) -> None:
        """It was only a backchannel: say the rest."""
        with self._lock:
            rest, self._paused = self._paused or [], None
            for segment, u in rest:
                if not u.dropped:
                    self._schedule(u, segment, self._keys(segment), now, replay=True)
            for u in self._active:
                u.paused = False

    def said_between(self, t0: float, t1: float) -> str:
        """The words the speaker played between `t0` and `t1` (to tell the avatar's words from a visitor's)."""
        with self._lock:
            return self._spoken.words_between(t0, t1)

    @property
    def paused(self) -> bool:
        return self._paused is not None

    def interrupt(self, now: float) -> float:
        """The visitor spoke over the avatar: stop playback at once, drop everything queued, close
        the mouth. Returns the time playback actually stops (the pause's, if paused first); each cut
        utterance keeps `cut_at`."""
        with self._lock:
            stopped = self._paused_at if self._paused is not None else self.sink.stop(now)
            self.sink.stop(now)
            self._track.cut(stopped)
            self._levels.cut(stopped)
            self._spoken.cut(stopped)
            self._paused, self._scheduled = None, []
            active = list(self._active)
        for u in active:
            was_paused, u.paused = u.paused, False
            if u.done.is_set() and not was_paused and (u.heard_until is None or u.heard_until <= stopped):
                continue
            u.dropped = True
            u.released.set()
            if u.heard_from is not None and u.heard_from < stopped:
                u.cut_at = stopped
                u.heard_until = min(u.heard_until or stopped, stopped)
        return stopped

    def far_level(self, t: float, reverb_s: float = 0.0) -> float:
        """RMS of what the speaker plays at `t` (the barge-in gate's reference); 0 when silent. With
        `reverb_s`, the loudest it played in the `reverb_s` before `t` (what the room still carries)."""
        with self._lock:
            return self._levels.loudest(t - reverb_s, t) if reverb_s > 0 else self._levels.at(t)

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
        if utterance.dropped:
            return
        keys = self._keys(segment)
        with self._lock:
            if self._paused is not None:              # said on `resume`, if it comes
                self._paused.append((segment, utterance))
                return
            self._schedule(utterance, segment, keys, self._clock())

    def _keys(self, segment: SpeechSegment):
        return self._lip_sync.keys(segment.audio) if self._lip_sync and not segment.phonemes else None

    def _schedule(self, utterance: Utterance, segment: SpeechSegment, keys, now: float,
                  replay: bool = False) -> None:
        """Hand a segment to the sink and put its mouth shapes on the track (under the lock)."""
        audio = segment.audio
        if self.volume < 1.0:
            audio = AudioChunk.from_float(audio.float_samples() * self.volume, audio.rate, audio.timestamp)
        start = self.sink.play(audio, now)
        self._levels.add(start, audio)
        self._spoken.add(start, segment)
        if segment.phonemes:
            self._track.add_phonemes(start, segment.phonemes)
        elif keys is not None:
            self._track.add_keys(start, keys, segment.audio.seconds)
        else:
            self._track.add_audio(start, segment.audio)
        self._scheduled = [s for s in self._scheduled if s.end > now] + [Scheduled(start, segment, utterance)]
        if utterance.first_audio_at is None:
            utterance.first_audio_at = now
            utterance.heard_from = start
            utterance.first_played.set()
        elif replay and utterance.heard_until is not None:
            utterance.paused_s += max(0.0, start - utterance.heard_until)
        utterance.heard_until = start + segment.audio.seconds
        if not replay:
            utterance.audio_seconds += segment.audio.seconds
