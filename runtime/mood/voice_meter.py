"""Holds the last seconds of what the visitor said, in memory only, so a turn's voice can be measured
when it ends; the audio is dropped as it ages out and after each measurement (never written)."""

from __future__ import annotations

from collections import deque

import numpy as np

from runtime.audio.chunk import AudioChunk

from .voice import VoiceFeatures, voice_features

KEEP_S = 20.0


class VoiceMeter:
    def __init__(self, keep_s: float = KEEP_S):
        self.keep_s = keep_s
        self._chunks: deque[AudioChunk] = deque()

    def add(self, chunk: AudioChunk) -> None:
        """A piece of the cleaned input (16-bit mono)."""
        if not chunk.audio:
            return
        self._chunks.append(chunk)
        while self._chunks and chunk.end - self._chunks[0].end > self.keep_s:
            self._chunks.popleft()

    def take(self, start: float, end: float, words: int) -> VoiceFeatures | None:
        """The features of the voice between `start` and `end` (input time line); the audio is then dropped."""
        parts, rate = [], None
        for c in self._chunks:
            if c.end <= start or c.timestamp >= end:
                continue
            rate = c.rate
            samples = c.samples().astype(np.float32) / 32768.0
            a, b = max(0, int((start - c.timestamp) * c.rate)), min(len(samples), int((end - c.timestamp) * c.rate))
            parts.append(samples[a:b])
        self._chunks.clear()
        if not parts or rate is None:
            return None
        return voice_features(np.concatenate(parts), rate, words)
