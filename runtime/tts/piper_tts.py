"""Piper voices (piper-tts, GPL-3.0+): used only through this module, behind `Synthesizer`.

Loads a voice that reports its alignments, so every segment carries the sample count of each phoneme:
the avatar's mouth is phoneme-exact at no cost. The aligned voice file is made once, outside this
process (`aligned_voice.py`), and loaded by path: no `onnx` import, no second copy of the model.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

from runtime.shared.errors import ModelError, TtsError

from ..audio.chunk import AudioChunk
from .base import PhonemeTiming, SpeechSegment
from .clauses import shorter_clauses, split_for_speech
from .voice_ids import piper_voice_id

_LOGGER = logging.getLogger(__name__)
WARM_UP_TEXT = "Hello."
# A sentence's working memory grows with its audio: ~17 MB per second of speech (en_US-joe-medium,
# measured: 0.8 s +17 MB, 3.4 s +55 MB, 4.6 s +75 MB, 6.6 s +117 MB), so the pack's longest sentence
# set the kiosk's peak. Longer than this (Latin letters, ~3 s) it is spoken clause by clause.
MAX_CLAUSE_UNITS = 40


@contextmanager
def _without_memory_arena():
    """Piper builds its onnxruntime session with default options, whose CPU memory arena grows with
    every new input length and never gives memory back: +21 % RSS over 120 answers in bench/soak.py.
    A kiosk runs for months, so the session is built without the arena, and without the memory
    pattern (buffers planned from the last input's shapes, kept for the next run of the same shapes):
    -22 to -36 MB at the peak of synthesis, the same CPU time (docs/speaking.md#memory-by-stage).
    piper-tts has no option for either; the swap lasts only while the voice loads, under a lock."""
    import onnxruntime
    original = onnxruntime.SessionOptions

    def options():
        opts = original()
        opts.enable_cpu_mem_arena = False
        opts.enable_mem_pattern = False
        return opts
    with _LOAD_LOCK:
        onnxruntime.SessionOptions = options
        try:
            yield
        finally:
            onnxruntime.SessionOptions = original


_LOAD_LOCK = threading.Lock()


class PiperSynthesizer:
    name = "piper"

    def __init__(self, model_path: Path, config_path: Path | None = None, language: str = "en",
                 deterministic: bool = False):
        model_path = Path(model_path)
        config_path = Path(config_path) if config_path else Path(f"{model_path}.json")
        for path in (model_path, config_path):
            if not path.is_file():
                raise ModelError(f"{path}: Piper voice file not found")
        try:
            from piper import PiperVoice, SynthesisConfig
        except ImportError as err:
            raise ModelError("piper: the piper-tts package is not installed") from err
        try:
            with _without_memory_arena():
                self._voice = _load_aligned(PiperVoice, model_path, config_path)
        except Exception as err:  # onnxruntime/JSON raise many types for a bad file
            raise ModelError(f"{model_path}: not a loadable Piper voice ({type(err).__name__}: {err})") from err
        self.language = language
        self.rate = self._voice.config.sample_rate
        # Piper samples noise inside the model; zero noise gives the same audio every time.
        self._syn_config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0) if deterministic else None
        self.voice_name = model_path.stem
        # The first inference pays onnxruntime's one-off set-up (~200 ms): pay it at start-up,
        # not in the first visitor's answer.
        list(self._voice.synthesize(WARM_UP_TEXT, syn_config=self._syn_config))

    def synthesize(self, text: str, pace: float = 1.0) -> Iterator[SpeechSegment]:
        for piece in split_for_speech(text):
            yield from self.synthesize_piece(piece, pace)

    def synthesize_piece(self, piece: str, pace: float = 1.0) -> Iterator[SpeechSegment]:
        """A long sentence clause by clause (`MAX_CLAUSE_UNITS`), so a segment's text may be part of
        the piece."""
        for clause in shorter_clauses(piece, MAX_CLAUSE_UNITS):
            try:
                chunks = list(self._voice.synthesize(clause, syn_config=self._paced(pace), include_alignments=True))
            except Exception as err:
                raise TtsError(f"piper {self.voice_name}: cannot synthesise {clause[:40]!r} ({err})") from err
            for chunk in chunks:
                audio = AudioChunk.from_float(chunk.audio_float_array, chunk.sample_rate)
                yield SpeechSegment(clause, audio, _timings(chunk.phoneme_alignments, chunk.sample_rate))

    def _paced(self, pace: float):
        """The synthesis settings at `pace` (Piper's length_scale: the voice's own divided by the pace)."""
        if pace == 1.0:
            return self._syn_config
        from piper import SynthesisConfig
        base = self._syn_config or SynthesisConfig()
        own = self._voice.config.length_scale or 1.0
        return SynthesisConfig(speaker_id=base.speaker_id, length_scale=own / pace, noise_scale=base.noise_scale,
                               noise_w_scale=base.noise_w_scale)

    @property
    def voice_id(self) -> str:
        """What decides this voice's audio (the answer cache's key): model, and noise or none."""
        return piper_voice_id(self.voice_name, self._syn_config is not None)


def _load_aligned(piper_voice, model_path: Path, config_path: Path):
    from .aligned_voice import aligned_voice
    aligned, how = aligned_voice(model_path)
    if aligned is not None:
        _LOGGER.info("piper %s: the voice with its alignment output (%s) from %s", model_path.stem, how, aligned)
        return piper_voice.load(aligned, config_path=config_path)
    _LOGGER.warning("piper %s: %s; the alignment output is added in memory instead (the onnx package and a "
                    "second copy of the voice: ~150 MB more resident memory)", model_path.stem, how)
    return piper_voice.load(model_path, config_path=config_path, include_alignments=True)


def _timings(alignments, rate: int) -> tuple[PhonemeTiming, ...] | None:
    if not alignments:
        return None
    samples = np.cumsum([0] + [int(a.num_samples) for a in alignments])
    return tuple(PhonemeTiming(a.phoneme, samples[i] / rate, samples[i + 1] / rate)
                 for i, a in enumerate(alignments))
