"""pocketsphinx recogniser: its bundled en-US model works out of the box (BSD)."""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from runtime.shared.errors import AsrError, ModelError

from ..audio.chunk import AudioChunk
from .base import ASR_RATE, EngineDefaults, TimedWord

_LOGGER = logging.getLogger(__name__)


# Measured on ../shared/speech (bench/asr.py): streaming with pocketsphinx's defaults
# loses to whole-utterance decoding (33.8 % vs 28.2 % WER) because its live CMN
# starts cold. Without the fwdflat and bestpath re-searches, streaming reaches
# 26.8 %, the final result costs ~15 ms instead of ~170 ms, and a pruning cap of
# 3000 HMMs per frame halves the CPU (RTF 0.13) with no loss.
STREAMING_SETTINGS = {"fwdflat": False, "bestpath": False, "maxhmmpf": 3000}
WARM_UP_S = 1                               # seconds of quiet noise decoded at load
FRAMES_PER_S = 100                          # pocketsphinx's segment times are in 10 ms frames
_FILLER = re.compile(r"<.*>|\[.*\]|\+\+.*\+\+")   # <s>, </s>, <sil>, [NOISE], ++UH++
_ALTERNATE = re.compile(r"\(\d+\)$")                # "for(2)": the dictionary's second pronunciation


class PocketsphinxRecognizer(EngineDefaults):
    name = "pocketsphinx"

    def __init__(self, model_dir: Path | None = None, language: str = "en",
                 jsgf: Path | None = None, settings: dict | None = None,
                 hints: list[str] | None = None):
        try:
            from pocketsphinx import Config, Decoder
        except ImportError as err:
            raise ModelError("pocketsphinx: the pocketsphinx package is not installed") from err
        self.language = language
        config = Config(samprate=ASR_RATE, loglevel="ERROR",
                        **(STREAMING_SETTINGS if settings is None else settings))
        if model_dir is not None:
            model_dir = Path(model_dir)
            for needed in ("mdef", "means"):
                if not (model_dir / needed).exists():
                    raise ModelError(f"{model_dir}: not a pocketsphinx acoustic model (no {needed})")
            config["hmm"] = str(model_dir)
            # The bundled layout keeps the LM and dictionary beside the acoustic model.
            lm, dictionary = model_dir.parent / "en-us.lm.bin", model_dir.parent / "cmudict-en-us.dict"
            if lm.exists() and dictionary.exists():
                config["lm"], config["dict"] = str(lm), str(dictionary)
        if jsgf is not None:
            config["jsgf"] = str(jsgf)
        venue_lm = None
        try:
            self._decoder = Decoder(config)
            self._searches = [self._decoder.current_search()]
            if hints and jsgf is None:
                venue_lm = _write_venue_lm(hints, config["lm"], config["dict"])
                self._decoder.add_lm_file(VENUE_SEARCH, str(venue_lm))
                self._decoder.activate_search(VENUE_SEARCH)
                self._searches.append(VENUE_SEARCH)
        except (RuntimeError, ValueError) as err:
            raise ModelError(f"pocketsphinx: cannot load model ({err})") from err
        finally:
            if venue_lm is not None:
                venue_lm.unlink(missing_ok=True)
        self.hinted = len(self._searches) > 1
        self.last_search = self._decoder.current_search()   # which language model gave the last final words
        self._in_utt = False
        self._audio: list[bytes] = []
        self._warm_up()

    def _warm_up(self) -> None:
        """One utterance of quiet noise through every search, so the first visitor's turn pays no one-off
        set-up (the first decode's allocations: ~50 ms more on this machine)."""
        noise = (np.random.default_rng(0).normal(0, 30, WARM_UP_S * ASR_RATE)).astype(np.int16)
        self.start()
        self.accept(AudioChunk(ASR_RATE, 2, 1, noise.tobytes()))
        self.finish()
        self.last_search = self._decoder.current_search()

    def start(self) -> None:
        if self._in_utt:
            self._decoder.end_utt()
        self._decoder.start_utt()
        self._in_utt = True
        self._audio = []

    def accept(self, chunk: AudioChunk) -> None:
        if chunk.rate != ASR_RATE or chunk.channels != 1:
            raise AsrError(f"pocketsphinx: expected 16 kHz mono audio, got {chunk.rate} Hz "
                           f"{chunk.channels} ch")
        if chunk.audio:      # an echo canceller may hand on an empty chunk while it buffers
            self._decoder.process_raw(chunk.audio, no_search=False, full_utt=False)
            self._audio.append(chunk.audio)

    def partial(self) -> str:
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp else ""

    def partial_words(self) -> list[TimedWord]:
        if not self._in_utt or self._decoder.hyp() is None:
            return []
        return [TimedWord(_ALTERNATE.sub("", s.word), s.start_frame / FRAMES_PER_S, (s.end_frame + 1) / FRAMES_PER_S)
                for s in self._decoder.seg() if not _FILLER.fullmatch(s.word)]

    def finish(self) -> str:
        if not self._in_utt:
            return ""
        self._decoder.end_utt()
        self._in_utt = False
        # The final words come from a second pass over the whole utterance at once: its cepstral mean
        # is the utterance's own, not the running estimate that the first words were heard with
        # (the raw engine's whole-file figure is decoded that way; streaming alone lost 5-8 points).
        # With venue hints it is decoded twice, with the general language model and the venue's, and
        # the better-scoring path wins: a question the venue answers fits the venue's model, anything
        # else a visitor says fits the general one (the venue model alone cost general speech 16 points).
        audio, self._audio = b"".join(self._audio), []
        best: tuple[int, str, str] | None = None
        streaming = self._decoder.current_search()
        for search in self._searches:
            self._decoder.activate_search(search)
            self._decoder.start_utt()
            self._decoder.process_raw(audio, no_search=False, full_utt=True)
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
            if hyp is not None and (best is None or hyp.score > best[0]):
                best = (hyp.score, hyp.hypstr.strip(), search)
        self._decoder.activate_search(streaming)
        if best is None:
            return ""
        self.last_search = best[2]
        return best[1]


VENUE_SEARCH = "venue"  # the search decoding with the venue's language model (the general one is the default)
GENERAL_WORDS = 60000  # the general model's most frequent words stay speakable (bench/phrase_bias.py)


@functools.lru_cache(maxsize=2)
def _general_unigrams(lm_path: str, dict_path: str) -> tuple[dict[str, float], frozenset[str]]:
    from pocketsphinx import Config, LogMath, NGramModel
    words = set()
    with open(dict_path, encoding="utf-8") as fh:
        for line in fh:
            word = line.split(" ", 1)[0]
            if word and "(" not in word:
                words.add(word)
    lm = NGramModel(Config(), LogMath(), lm_path)
    to_log10 = math.log10(1.0001)   # pocketsphinx's log base
    scored = sorted(((lm.prob([w]) * to_log10, w) for w in words), reverse=True)[:GENERAL_WORDS]
    return {w: p for p, w in scored}, frozenset(words)


def _write_venue_lm(hints: list[str], lm_path: str, dict_path: str) -> Path:
    from .phrase_hints import venue_arpa
    started = time.perf_counter()
    general, known = _general_unigrams(lm_path, dict_path)
    arpa = venue_arpa(hints, general, set(known))
    fd, name = tempfile.mkstemp(prefix="edge-avatar-venue-", suffix=".arpa")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(arpa)
    _LOGGER.info("pocketsphinx: venue language model from %d phrases in %.2f s", len(hints),
                 time.perf_counter() - started)
    return Path(name)
