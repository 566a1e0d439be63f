"""The audio front end: each microphone chunk becomes one measured `AudioFrame`.

Per chunk, in this order: the echo canceller is given what the speaker played and cleans the
microphone; the linear echo filter (when barge-in uses one) measures its residual on the raw chunk;
the VAD scores the cleaned audio frame by frame; the level gate learns the hall's noise floor and
zeroes the probability of frames that are not a near visitor. The listener and the barge-in control
both read the frame; neither measures the chunk again.
"""

from __future__ import annotations

import numpy as np

from runtime.audio.chunk import PIPELINE_RATE, AudioChunk
from runtime.audio.echo import EchoCanceller, NullEchoCanceller
from runtime.audio.frame import AudioFrame, SpeechFrame
from runtime.audio.levels import level_dbfs
from runtime.audio.linear_echo import LinearEcho

from .level_gate import LevelGate
from .turn_state import NO_TURN, TurnState
from .vad import VadFramer, VoiceActivityDetector

CLIPPED_AT = 0.97   # a raw sample this near full scale: the microphone clipped


class AudioFrontEnd:
    def __init__(self, vad: VoiceActivityDetector, level_gate: LevelGate | None = None,
                 echo: EchoCanceller | None = None, linear: LinearEcho | None = None):
        self.vad = vad
        self.level_gate = level_gate   # babble and far talkers do not open turns
        self.echo = echo or NullEchoCanceller()
        self.linear = linear           # sees a visitor's first syllable before the VAD does (barge-in)
        self._framer = VadFramer(vad)
        self._linear_rms: float | None = None
        self._last_prob = 0.0

    def process(self, mic: AudioChunk, far: np.ndarray | None = None, *, learn_floor: bool = True,
                turn: TurnState = NO_TURN) -> AudioFrame:
        """`far`: what the speaker played over `mic`; `learn_floor`: False while the avatar's echo is
        being suppressed (the floor would sink under the hall's real noise); `in_turn`: a visitor's
        `turn`: where the listener is in a visitor's turn (its frames are mostly not the hall's noise;
        a pause resumes only near the turn's own level)."""
        far = np.zeros(0, dtype=np.float32) if far is None else far
        raw_db, clipped = self._measure_raw(mic, far)
        self.echo.far(AudioChunk.from_float(far, PIPELINE_RATE, mic.timestamp))
        clean = self.echo.near(mic)
        rms = clean.rms() if clean.audio else 0.0
        speech = tuple(self._score(clean, rms, learn_floor, turn)) if clean.audio else ()
        if speech:
            self._last_prob = max(f.prob for f in speech)
        floor = self.level_gate.floor_db if self.level_gate is not None else None
        return AudioFrame(mic, clean, far, rms, raw_db, self._linear_rms, clipped, speech, self._last_prob, floor)

    def near_talker(self, speech_levels_db: list[float], floor_db: float | None, learn: bool = True) -> bool:
        """Was a turn with these speech-frame levels someone at the kiosk (see `LevelGate.near_talker`)?
        `learn=False`: judge only; called again with `learn=True` when the turn is given up."""
        return self.level_gate is None or self.level_gate.near_talker(speech_levels_db, floor_db, learn)

    def _measure_raw(self, mic: AudioChunk, far: np.ndarray) -> tuple[float, bool]:
        if self.linear is None:
            return level_dbfs(mic.rms()) if mic.audio else level_dbfs(0.0), False
        level = self.linear.residual_rms(mic, far)
        self._linear_rms = level if level is not None else self._linear_rms
        samples = mic.float_samples()
        clipped = bool(samples.size and float(np.max(np.abs(samples))) >= CLIPPED_AT)
        return level_dbfs(mic.rms()), clipped

    def _score(self, clean: AudioChunk, rms: float, learn_floor: bool, turn: TurnState):
        for start, seconds, raw in self._framer.frames(clean):
            prob = raw
            if self.level_gate is not None:
                prob = self.level_gate.gate(raw, rms, seconds, learn=learn_floor, turn=turn)
            yield SpeechFrame(start, seconds, prob, raw)
