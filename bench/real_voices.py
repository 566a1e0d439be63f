"""Real human recordings as the visitor in the turn-taking benchmark (pure, apart from `load_utterances`).

Every `*-en` folder under ../shared/speech (`bench/speech_sets.py`: `<id>.wav` with `<id>.txt`; new
sets are picked up, nothing here names a file). Each recording is trimmed to its speech and brought
to the Piper visitor's loudness, so the two voices are compared at the same level. From them:

- **visitor turns**: one recording in the room, then silence for the answer;
- **interruptions**: one recording played over the avatar's answer, from a random point in it;
- **pauses mid-sentence**: a recording cut at an internal pause found from its energy (>= 250 ms
  at least `QUIET_DB` under its loudest 10 ms, with speech on both sides), the gap widened to
  0.6-1.2 s with the recording's own pause (played forwards and backwards, so no seam).

The sets hold no backchannels ("mm", "uh-huh"): the benchmark keeps Piper's for those.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from runtime.audio.levels import FRAME_S, frame_rms

RATE = 16000
FIRST_SOUND_DB = 35.0   # speech: within 35 dB of the loudest 10 ms (as Piper's marks) ...
OVER_FLOOR_DB = 10.0    # ... and 10 dB over the recording's own floor (its 5th-percentile 10 ms)
QUIET_DB = 25.0         # a pause: this far under the loudest 10 ms (or under the floor + 10 dB)
MIN_PAUSE_S = 0.25
MIN_PART_S = 0.3        # speech on each side of a pause
EDGE_S = 0.05           # kept before the first sound and after the last, faded in and out
FADE_S = 0.01
GAP_S = (0.6, 1.2)      # a pause widened to this
NO_BACKCHANNELS = "no backchannels in the real sets (read sentences and questions): Piper's are kept"


@dataclass(frozen=True)
class RealUtterance:
    key: str               # set/id
    text: str
    audio: np.ndarray      # float32, 16 kHz, at the visitor's level
    onset: float           # first sound, seconds into `audio`
    offset: float          # end of the last sound


@dataclass(frozen=True)
class Pause:
    start: float           # seconds into the utterance's audio
    end: float

    @property
    def seconds(self) -> float:
        return round(self.end - self.start, 3)


# -- levels and pauses ---------------------------------------------------------------------------------
def _levels_db(audio: np.ndarray) -> np.ndarray:
    return 20 * np.log10(frame_rms(audio, RATE) + 1e-9)


def sound_threshold_db(levels: np.ndarray, below_peak_db: float = FIRST_SOUND_DB) -> float:
    """The level speech stands above: `below_peak_db` under the loudest 10 ms and 10 dB over the floor."""
    return max(float(levels.max()) - below_peak_db, float(np.percentile(levels, 5)) + OVER_FLOOR_DB)


def voiced_span(audio: np.ndarray) -> tuple[float, float] | None:
    """(first sound, end of the last sound) in seconds, or None for a recording with no speech."""
    levels = _levels_db(audio)
    if not levels.size:
        return None
    loud = np.nonzero(levels > sound_threshold_db(levels))[0]
    return (loud[0] * FRAME_S, (loud[-1] + 1) * FRAME_S) if loud.size else None


def active_level_db(audio: np.ndarray) -> float:
    """Mean power of the 10 ms frames above the speech threshold, in dBFS: the loudness of the voice."""
    levels = _levels_db(audio)
    loud = levels[levels > sound_threshold_db(levels)]
    return float(10 * np.log10(np.mean(10 ** (loud / 10)))) if loud.size else -120.0


def _quiet_runs(quiet: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) frame runs where `quiet` is true."""
    edges = np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]]))
    return list(zip(np.nonzero(edges == 1)[0].tolist(), np.nonzero(edges == -1)[0].tolist()))


def find_pauses(audio: np.ndarray, min_pause_s: float = MIN_PAUSE_S, min_part_s: float = MIN_PART_S) -> list[Pause]:
    """Silences inside a sentence: at least `min_pause_s` of 10 ms frames `QUIET_DB` under the loudest
    (or within 10 dB of the recording's floor), with `min_part_s` of speech before and after."""
    levels = _levels_db(audio)
    span = voiced_span(audio)
    if span is None:
        return []
    first, last = int(round(span[0] / FRAME_S)), int(round(span[1] / FRAME_S))
    quiet = levels[first:last] <= sound_threshold_db(levels, QUIET_DB)
    pauses = []
    for a, b in _quiet_runs(quiet):
        start, end = (first + a) * FRAME_S, (first + b) * FRAME_S
        if end - start >= min_pause_s - 1e-9 and start - span[0] >= min_part_s and span[1] - end >= min_part_s:
            pauses.append(Pause(round(start, 3), round(end, 3)))
    return pauses


# -- preparing a recording -----------------------------------------------------------------------------
def _fade(audio: np.ndarray) -> np.ndarray:
    n = min(int(FADE_S * RATE), audio.size // 2)
    out = audio.astype(np.float32).copy()
    if n:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        out[:n] *= ramp
        out[-n:] *= ramp[::-1]
    return out


def prepare(key: str, text: str, audio: np.ndarray, level_db: float) -> RealUtterance | None:
    """The recording trimmed to `EDGE_S` around its speech, faded, at an active level of `level_db` dBFS."""
    span = voiced_span(audio)
    if span is None:
        return None
    lo = max(0, int((span[0] - EDGE_S) * RATE))
    hi = min(audio.size, int((span[1] + EDGE_S) * RATE))
    part = audio[lo:hi].astype(np.float32)
    gain = 10 ** ((level_db - active_level_db(part)) / 20)
    part = np.clip(_fade(part) * gain, -1.0, 1.0).astype(np.float32)
    return RealUtterance(key, text, part, round(span[0] - lo / RATE, 3), round(span[1] - lo / RATE, 3))


def load_utterances(root: Path, level_db: float) -> list[RealUtterance]:
    """Every English set under `root` (I/O: reads the WAVs)."""
    from bench.speech_sets import discover_sets
    from runtime.audio.audio_files import read_audio_file
    out = []
    for files in discover_sets(root).values():
        for f in files:
            utterance = prepare(f.key, f.reference, read_audio_file(f.wav, RATE).audio.float_samples(), level_db)
            if utterance is not None:
                out.append(utterance)
    return out


def widen(audio: np.ndarray, pause: Pause, gap_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(speech before, the pause widened to `gap_s`, speech after): the gap is the recording's own
    pause played forwards, backwards, forwards ... so its room noise goes on without a seam."""
    a, b = int(pause.start * RATE), int(pause.end * RATE)
    quiet = audio[a:b]
    n = int(round(gap_s * RATE))
    reps = int(np.ceil(n / max(1, quiet.size)))
    tiled = np.concatenate([quiet if i % 2 == 0 else quiet[::-1] for i in range(max(1, reps))])[:n]
    return audio[:a].astype(np.float32), tiled.astype(np.float32), audio[b:].astype(np.float32)


# -- scenario plans (deterministic with the generator) ------------------------------------------------
@dataclass(frozen=True)
class InterruptionPlan:
    utterance: RealUtterance
    k: int                 # which questions make the avatar talk (as Piper's k-th interruption)
    at: float              # where in the answer it starts, 0-1 of the answer


@dataclass(frozen=True)
class PausedPlan:
    utterance: RealUtterance
    pause: Pause
    gap_s: float           # the pause widened to this


def rounds(n_items: int, n: int, rng: np.random.Generator) -> list[int]:
    """`n` indices into `n_items` items: each item once per round, each round in a new order."""
    out: list[int] = []
    while n_items and len(out) < n:
        out += rng.permutation(n_items).tolist()
    return out[:n]


def plan_turns(utterances: list[RealUtterance], n: int | None, rng: np.random.Generator) -> list[RealUtterance]:
    """Visitor turns: every recording once when `n` is None."""
    return [utterances[i] for i in rounds(len(utterances), len(utterances) if n is None else n, rng)]


def plan_interruptions(utterances: list[RealUtterance], n: int, rng: np.random.Generator) -> list[InterruptionPlan]:
    return [InterruptionPlan(utterances[i], k, round(float(rng.uniform(0.0, 1.0)), 3))
            for k, i in enumerate(rounds(len(utterances), n, rng))]


def pause_candidates(utterances: list[RealUtterance], min_pause_s: float = MIN_PAUSE_S
                     ) -> list[tuple[RealUtterance, Pause]]:
    return [(u, p) for u in utterances for p in find_pauses(u.audio, min_pause_s)]


def plan_pauses(candidates: list[tuple[RealUtterance, Pause]], n: int, rng: np.random.Generator) -> list[PausedPlan]:
    return [PausedPlan(*candidates[i], round(float(rng.uniform(*GAP_S)), 3))
            for i in rounds(len(candidates), n, rng)]


def interruption_delay(at: float, answer_s: float) -> float:
    """Seconds from the end of the question to the interruption: the answer nominally starts 1.2 s
    after it (as the Piper interruptions assume; it may start 0.35 s after); from 0.3 s into it to
    1.5 s before its end, so that an answer that started early is still playing."""
    return 1.2 + 0.3 + at * max(0.0, answer_s - 1.8)
