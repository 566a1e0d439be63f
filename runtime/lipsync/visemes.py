"""Visemes: the 15 mouth shapes (Meta/OpenXR set) and where they fall in time.

Two sources, one track:
* phoneme-exact, from a synthesiser's phoneme timings (Piper alignments), with
  a map for espeak-ng's English and Mandarin IPA;
* audio-driven, from loudness, when only the audio is known (espeak-ng, clips).
Times are seconds on the output (speaker) time line.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from runtime.audio.chunk import AudioChunk
from runtime.tts.base import PhonemeTiming

VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou")

_GROUPS = {
    "PP": "pbm",
    "FF": "fv",
    "TH": "θð",
    "DD": "tdɾʈɖ",
    "kk": "kɡgŋxχqɢ",
    "CH": "ʃʒɕʑʂʐçʝʨʥꭧ",   # ʨ ʥ ꭧ: Kokoro's Mandarin j, zh/ch (misaki's IPA)
    "SS": "szʦʣ",
    "nn": "nlɫɲɳʎ",
    "RR": "rɹɻʁʀ",
    "aa": "aɑæɐʌɒäɜ",
    "E": "eɛəɘœɚɝ",
    "ih": "iɪjɨʲ",
    "oh": "oɔɤ",
    "ou": "uʊwɯyʏøɵɥ",
    "sil": "^$.,!?;:—…-",
}
PHONEME_TO_VISEME: dict[str, str] = {p: v for v, ps in _GROUPS.items() for p in ps}
# Marks that change a phoneme but not the lips: stress, length, tone digits and arrows, diacritics.
_MODIFIERS = set("ˈˌːˑ̪̃ʰʷ̩̯012345→↗↓↘") | {" ", "h", "ɦ", "ʔ"}

MIN_AUDIO_VISEME_S = 0.04
_AUDIO_FRAME_S = 0.01


def viseme_for(phoneme: str) -> str | None:
    """The viseme of one espeak IPA phoneme, or None when it only modifies its neighbour."""
    if phoneme in _MODIFIERS:
        return None
    return PHONEME_TO_VISEME.get(phoneme, PHONEME_TO_VISEME.get(phoneme[:1], "E"))


@dataclass
class VisemeTrack:
    """Viseme keys [(start_s, viseme)] on the output time line; sil after the last end."""

    times: list[float] = field(default_factory=list)
    visemes: list[str] = field(default_factory=list)

    def _append(self, t: float, viseme: str) -> None:
        if self.times and t < self.times[-1]:
            # A later segment overlaps an earlier one: drop keys after t (newest wins).
            i = bisect.bisect_left(self.times, t)
            del self.times[i:], self.visemes[i:]
        if self.visemes and self.visemes[-1] == viseme:
            return
        self.times.append(t)
        self.visemes.append(viseme)

    def add_phonemes(self, start: float, timings: tuple[PhonemeTiming, ...]) -> None:
        for p in timings:
            v = viseme_for(p.phoneme)
            if v is not None and p.end > p.start:
                self._append(start + p.start, v)
        if timings:
            self._append(start + timings[-1].end, "sil")

    def add_audio(self, start: float, audio: AudioChunk) -> None:
        """Loudness-driven keys for audio with no phoneme timing."""
        x = audio.float_samples()
        hop = max(1, int(_AUDIO_FRAME_S * audio.rate))
        frames = len(x) // hop
        if frames == 0:
            return
        rms = np.sqrt(np.mean(x[:frames * hop].reshape(frames, hop) ** 2, axis=1))
        peak = float(np.percentile(rms, 95)) or 1.0
        level = rms / peak
        shapes = np.where(level > 0.6, "aa", np.where(level > 0.35, "E",
                          np.where(level > 0.15, "ih", "sil")))
        last_t = -1.0
        for i, shape in enumerate(shapes):
            t = start + i * hop / audio.rate
            if self.visemes and shape == self.visemes[-1]:
                continue
            if t - last_t < MIN_AUDIO_VISEME_S and self.times and self.times[-1] >= start:
                continue
            self._append(t, str(shape))
            last_t = t
        self._append(start + audio.seconds, "sil")

    def add_keys(self, start: float, keys: list[tuple[float, str]], seconds: float) -> None:
        """Keys from the audio→viseme model ([(t from start, viseme)]), each shape held at least
        MIN_AUDIO_VISEME_S so the mouth does not flicker; closed after `seconds`."""
        last_t = -1.0
        for t, viseme in keys:
            if self.visemes and viseme == self.visemes[-1]:
                continue
            if t - last_t < MIN_AUDIO_VISEME_S and last_t >= 0:
                continue
            self._append(start + t, viseme)
            last_t = t
        self._append(start + seconds, "sil")

    def cut(self, t: float) -> None:
        """Speech stopped at t (barge-in): forget later keys and close the mouth."""
        i = bisect.bisect_right(self.times, t)
        del self.times[i:], self.visemes[i:]
        self._append(t, "sil")

    def at(self, t: float) -> str:
        i = bisect.bisect_right(self.times, t) - 1
        return self.visemes[i] if i >= 0 else "sil"

    def keys(self, since: float = float("-inf"), until: float = float("inf")) -> list[tuple[int, str]]:
        """[(t_ms, viseme)] within [since, until), for reports; starts with the shape at `since`."""
        keys = [(int(round(t * 1000)), v) for t, v in zip(self.times, self.visemes) if since <= t < until]
        if since != float("-inf") and (not keys or keys[0][0] > int(round(since * 1000))):
            keys.insert(0, (int(round(since * 1000)), self.at(since)))
        return keys
