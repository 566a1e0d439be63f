"""The sink side of the speaking stage: clauses handed to the speaker, the mouth's track at the times
the sink gives, and what it played (levels, words) for barge-in. The caller holds the lock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runtime.audio.chunk import AudioChunk
from runtime.audio.played_audio import PlayedAudio
from runtime.audio.sinks import AudioSink
from runtime.lipsync.visemes import VisemeTrack
from runtime.tts.base import SpeechSegment

from .speech_pause import Scheduled
from .spoken_words import SpokenLog
from .utterance import Step, Utterance

if TYPE_CHECKING:
    from runtime.lipsync.audio_visemes import AudioVisemes


class Playback:
    """The sink, the mouth's track, the audio and words played, and the segments handed to the sink
    that may not have been heard yet (what a pause takes up again)."""

    def __init__(self, sink: AudioSink, lip_sync: "AudioVisemes | None" = None):
        self.sink = sink
        self._lip_sync = lip_sync   # visemes from audio, for segments with no phoneme times
        self.track = VisemeTrack()
        self.levels = PlayedAudio()
        self.spoken = SpokenLog()
        self.scheduled: list[Scheduled[Utterance]] = []

    def keys(self, segment: SpeechSegment):
        """Mouth keys from the audio model, for a segment with no phoneme times (outside the lock)."""
        return self._lip_sync.keys(segment.audio) if self._lip_sync and not segment.phonemes else None

    def stop(self, now: float, at: float | None = None) -> tuple[float, list[Scheduled[Utterance]]]:
        """Stop the sink; nothing is heard after `at` (where the sink stopped, if None). Returns that
        time and the segments that had been handed to the sink."""
        stopped = self.sink.stop(now)
        at = stopped if at is None else at
        self.track.cut(at)
        self.levels.cut(at)
        self.spoken.cut(at)
        scheduled, self.scheduled = self.scheduled, []
        return at, scheduled

    def schedule(self, utterance: Utterance, segment: SpeechSegment, keys, now: float, volume: float = 1.0,
                 replay: bool = False) -> None:
        """Hand a segment to the sink and put its mouth shapes on the track; `replay`: taken up
        again after a pause (its audio was counted when first handed over)."""
        audio = segment.audio
        if volume < 1.0:
            audio = AudioChunk.from_float(audio.float_samples() * volume, audio.rate, audio.timestamp)
        start = self.sink.play(audio, now)
        self.levels.add(start, audio)
        self.spoken.add(start, segment)
        if segment.phonemes:
            self.track.add_phonemes(start, segment.phonemes)
        elif keys is not None:
            self.track.add_keys(start, keys, segment.audio.seconds)
        else:
            self.track.add_audio(start, segment.audio)
        self.scheduled = [s for s in self.scheduled if s.end > now] + [Scheduled(start, segment, utterance)]
        _heard(utterance, start, segment.audio.seconds, now, replay)


def _heard(utterance: Utterance, start: float, seconds: float, now: float, replay: bool) -> None:
    """The utterance's times for a segment the sink plays from `start`."""
    if utterance.first_audio_at is None:
        utterance.first_audio_at = now
        utterance.heard_from = start
    elif replay and utterance.heard_until is not None:
        utterance.paused_s += max(0.0, start - utterance.heard_until)
    utterance.heard_until = start + seconds
    if not replay:
        utterance.audio_seconds += seconds
    utterance.step(Step.PLAY)
