"""The speaking stage: answer text -> synthesiser -> audio sink, with the mouth's track.

A worker thread synthesises one clause at a time and hands it to the sink the moment it exists
(`speech_worker`); the sink says when it will be heard, and the clause's visemes go on the track at
exactly that time (`playback`). An answer can be prepared speculatively (held, not played) and then
committed or dropped; a sound over the avatar pauses it, and it goes on or is cut (`pausing`). Each
answer is an `Utterance`, a state machine (`utterance`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable

from runtime.audio.sinks import AudioSink
from runtime.shared.errors import EdgeAvatarError
from runtime.tts.base import SpeechSegment, Synthesizer

from .pausing import Pause, interrupt_all, pause_all, resume_all
from .playback import Playback
from .speech_pause import remainder
from .speech_worker import SpeechWorker
from .utterance import IllegalStep, State, Step, Utterance

if TYPE_CHECKING:
    from runtime.lipsync.audio_visemes import AudioVisemes

__all__ = ["Clock", "IllegalStep", "SpeechOutput", "State", "Step", "Utterance"]
Clock = Callable[[], float]


class SpeechOutput:
    def __init__(self, synthesizers: dict[str, Synthesizer], sink: AudioSink, clock: Clock,
                 wall: Callable[[], float], lip_sync: "AudioVisemes | None" = None):
        self._synthesizers = synthesizers
        self.sink = sink
        self._clock = clock
        self._playback = Playback(sink, lip_sync)
        self._lock = threading.Lock()
        self.volume = 1.0           # 0..1, the fleet's set-volume
        self._active: list[Utterance] = []
        self._pause: Pause | None = None
        self._worker = SpeechWorker(lambda lang: self._synthesizers[lang], self._play,
                                    lambda: self._clock(), wall)

    # -- control (main thread)
    def say(self, text: str, lang: str, held: bool = False, pace: float = 1.0) -> Utterance:
        """`pace`: the speaking rate against the voice's own (a mood's: 0.85 for a distressed visitor)."""
        if lang not in self._synthesizers:
            raise EdgeAvatarError(f"speech: no synthesiser for language {lang!r}")
        if not 0.5 <= pace <= 2.0:
            raise EdgeAvatarError(f"speech: pace {pace}: expected 0.5 to 2.0 (1.0 is the voice's own)")
        utterance = Utterance(text, lang, held=held, pace=pace)
        with self._lock:
            now = self._clock()      # keep what is still being heard (or paused): a barge-in cuts it
            self._active = [u for u in self._active if not u.done.is_set() or u.paused
                            or (u.heard_until is not None and u.heard_until > now)] + [utterance]
        self._worker.put(utterance)
        return utterance

    def release(self, utterance: Utterance) -> None:
        """Play a held (speculative) utterance now."""
        with self._lock:
            utterance.step(Step.RELEASE)

    def drop(self, utterance: Utterance) -> None:
        with self._lock:
            utterance.step(Step.DROP)

    def pause(self, now: float) -> float:
        """Someone spoke over the avatar: stop playback and close the mouth at once, keeping what was
        not yet heard (from the start of the word it was in) for `resume`. Returns the stop time."""
        with self._lock:
            if self._pause is not None:
                return self._pause.at
            stopped, scheduled = self._playback.stop(now)
            self._pause = Pause(stopped, remainder(scheduled, stopped))
            pause_all(self._active, stopped)
        return stopped

    def resume(self, now: float) -> None:
        """It was only a backchannel: say the rest."""
        with self._lock:
            rest, self._pause = self._pause.rest if self._pause else [], None
            resume_all(self._active)
            for segment, u in rest:
                if not u.dropped:
                    self._playback.schedule(u, segment, self._playback.keys(segment), now, self.volume,
                                            replay=True)

    @property
    def paused(self) -> bool:
        return self._pause is not None

    def interrupt(self, now: float) -> float:
        """The visitor spoke over the avatar: stop playback at once, drop everything queued, close
        the mouth. Returns the time playback actually stops (the pause's, if paused first); each cut
        utterance keeps `cut_at`."""
        with self._lock:
            stopped = self._pause.at if self._pause is not None else self.sink.stop(now)
            self._playback.stop(now, at=stopped)
            self._pause = None
            interrupt_all(self._active, stopped)
        return stopped

    # -- what the speaker plays
    def said_between(self, t0: float, t1: float) -> str:
        """The words the speaker played between `t0` and `t1` (to tell the avatar's words from a visitor's)."""
        with self._lock:
            return self._playback.spoken.words_between(t0, t1)

    def far_level(self, t: float, reverb_s: float = 0.0) -> float:
        """RMS of what the speaker plays at `t` (the barge-in gate's reference); 0 when silent. With
        `reverb_s`, the loudest it played in the `reverb_s` before `t` (what the room still carries)."""
        with self._lock:
            levels = self._playback.levels
            return levels.loudest(t - reverb_s, t) if reverb_s > 0 else levels.at(t)

    def far_audio(self, start: float, seconds: float):
        """16 kHz float samples the speaker plays from `start` (the echo canceller's reference)."""
        with self._lock:
            return self._playback.levels.samples_between(start, start + seconds)

    def viseme_at(self, t: float) -> str:
        with self._lock:
            return self._playback.track.at(t)

    def viseme_keys(self, since: float, until: float) -> list[tuple[int, str]]:
        with self._lock:
            return self._playback.track.keys(since, until)

    def busy_until(self) -> float:
        return self.sink.busy_until()

    def speaking(self, now: float) -> bool:
        """Is the avatar still to be heard: an answer queued, being synthesised or paused, or audio on
        the sink not yet played out? (A held, speculative answer is not.) Under load the sink can run
        dry between two clauses while more is still to come, so `busy_until` alone is not the end."""
        with self._lock:
            busy = any(u.state in (State.QUEUED, State.PLAYING, State.PAUSED) for u in self._active)
        return busy or self.sink.busy_until() > now

    # -- voices
    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._synthesizers)

    @property
    def synthesizers(self) -> dict[str, Synthesizer]:
        return dict(self._synthesizers)

    def set_synthesizer(self, lang: str, synthesizer: Synthesizer) -> None:
        """Use another voice from the next utterance on."""
        self._synthesizers = {**self._synthesizers, lang: synthesizer}

    def close(self) -> None:
        self._worker.close()

    # -- worker thread
    def _play(self, utterance: Utterance, segment: SpeechSegment) -> None:
        if utterance.dropped:
            return
        keys = self._playback.keys(segment)
        with self._lock:
            if utterance.dropped:                     # dropped meanwhile (drop and interrupt hold the lock)
                return
            if self._pause is not None:               # said on `resume`, if it comes
                self._pause.rest.append((segment, utterance))
                return
            self._playback.schedule(utterance, segment, keys, self._clock(), self.volume)
