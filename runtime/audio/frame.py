"""One microphone chunk, measured once: the frame the listener and turn-taking both read.

The audio front end (`runtime.listening.front_end`) makes one `AudioFrame` per chunk the microphone
gives: the chunk as heard and as cleaned of the avatar's echo, what the speaker played over it, the
levels and clipping measured on it, and the speech probability of each VAD frame it completed (already
gated by the hall's noise level). Nothing downstream measures a chunk again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .chunk import AudioChunk
from .levels import level_dbfs


@dataclass(frozen=True)
class SpeechFrame:
    """One VAD frame: where it starts, how long it is, and how sure it is that a visitor speaks."""

    start: float
    seconds: float
    prob: float          # gated: 0 where the level gate held the frame back as the hall
    raw_prob: float      # the VAD's own, before the gate (what counts as a voiced second)


@dataclass(frozen=True)
class AudioFrame:
    raw: AudioChunk                  # as the microphone gave it
    clean: AudioChunk                # the echo canceller's output: what listening hears
    far: np.ndarray                  # what the speaker played over it (float samples)
    clean_rms: float                 # of `clean` (0 when it is empty)
    raw_db: float                    # of `raw`, dBFS
    linear_rms: float | None         # the linear echo filter's residual (its last value; None: no filter yet)
    clipped: bool                    # `raw` reached full scale: the echo path was not linear
    speech: tuple[SpeechFrame, ...]  # the VAD frames this chunk completed, gated by the hall's level
    speech_prob: float               # the highest of them; the last frame's when none completed
    hall_floor_db: float | None      # the hall's noise floor (dBFS) the level gate has learned, if any

    @classmethod
    def from_clean(cls, clean: AudioChunk, speech_prob: float, hall_floor_db: float | None = None) -> AudioFrame:
        """A frame with no echo path (a file, a test): heard as given, scored `speech_prob`."""
        rms = clean.rms() if clean.audio else 0.0
        return cls(clean, clean, np.zeros(0, np.float32), rms, level_dbfs(rms), None, False,
                   (SpeechFrame(clean.timestamp, clean.seconds, speech_prob, speech_prob),), speech_prob, hall_floor_db)

    @property
    def clean_db(self) -> float:
        return level_dbfs(self.clean_rms)

    @property
    def timestamp(self) -> float:
        return self.clean.timestamp

    @property
    def end(self) -> float:
        return self.clean.end
