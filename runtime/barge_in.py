"""Barge-in: is the visitor talking over the avatar, or is it the avatar's own voice (or an "uh-huh")?

Pure: per VAD frame it takes the time, the speech probability and level of the
echo-cancelled microphone, and the level the speaker is playing at that moment;
it never reads a clock. The visitor interrupts when speech has lasted
`min_speech_s` and stands `margin_db` above what the echo path could leave of the
avatar's own voice (the reference-aware gate); shorter or quieter sounds — a
cough, "嗯", "uh-huh" — do not stop the avatar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ConfigError


@dataclass(frozen=True)
class BargeInConfig:
    min_speech_s: float = 0.12      # speech must last this long (backchannels are short)
    speech_threshold: float = 0.6   # VAD probability that counts as speech
    margin_db: float = 6.0          # above the echo that could be left of the avatar's voice
    echo_loss_db: float = 30.0      # expected loss from speaker to cleaned microphone (path + AEC)
    min_level_dbfs: float = -45.0   # quieter than this is never a visitor talking to the kiosk

    def __post_init__(self) -> None:
        if self.min_speech_s < 0 or not 0 < self.speech_threshold < 1:
            raise ConfigError("barge_in: expected min_speech_s >= 0 and 0 < speech_threshold < 1")


def level_dbfs(rms: float) -> float:
    return 20 * math.log10(max(rms, 1e-6))


@dataclass
class BargeInDetector:
    config: BargeInConfig = BargeInConfig()
    onset: float | None = None
    triggered: bool = False

    def reset(self) -> None:
        self.onset, self.triggered = None, False

    def frame(self, t: float, seconds: float, speech_prob: float, mic_rms: float, far_rms: float,
              avatar_speaking: bool) -> float | None:
        """Feed one frame; returns the visitor's speech onset time when this frame decides a barge-in."""
        cfg = self.config
        if not avatar_speaking:
            self.reset()
            return None
        mic_db, far_db = level_dbfs(mic_rms), level_dbfs(far_rms)
        residual_db = far_db - cfg.echo_loss_db
        loud_enough = mic_db >= max(cfg.min_level_dbfs, residual_db + cfg.margin_db)
        if speech_prob >= cfg.speech_threshold and loud_enough:
            if self.onset is None:
                self.onset = t
            if not self.triggered and t + seconds - self.onset >= cfg.min_speech_s:
                self.triggered = True
                return self.onset
        elif not self.triggered:
            self.onset = None
        return None
