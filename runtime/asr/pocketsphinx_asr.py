"""pocketsphinx recogniser: its bundled en-US model works out of the box (BSD)."""

from __future__ import annotations

import enum
import logging
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from runtime.shared.errors import AsrError, ModelError

from ..audio.chunk import AudioChunk
from .base import ASR_RATE, EngineDefaults, TimedWord
from .general_words import decoding_dictionary, general_unigrams, make_kept
from .model_parts import cache_root
from .pause_levels import Levels, any_words_after, dbfs, quiet_below, quiet_tail
from .phrase_hints import venue_arpa, words_of

_LOGGER = logging.getLogger(__name__)


# Measured on ../shared/speech (bench/asr.py): streaming with pocketsphinx's defaults
# loses to whole-utterance decoding (33.8 % vs 28.2 % WER) because its live CMN
# starts cold. Without the fwdflat and bestpath re-searches, streaming reaches
# 26.8 %, the final result costs ~15 ms instead of ~170 ms, and a pruning cap of
# 3000 HMMs per frame halves the CPU (RTF 0.13) with no loss.
STREAMING_SETTINGS = {"fwdflat": False, "bestpath": False, "maxhmmpf": 3000}
WARM_UP_S = 1                               # seconds of quiet noise decoded at load
SETTLE_AFTER_S = 0.1                        # of a pause's quiet heard before the final passes start in it
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
        venue_lm = venue_dict = None
        try:
            known: set[str] = set()
            full_dict = config["dict"]
            if jsgf is None and config["lm"] and full_dict:
                make_kept(config["lm"], full_dict, GENERAL_WORDS, cache_root())
                config["dict"], venue_dict, known = decoding_dictionary(
                    config["lm"], full_dict, {w for h in hints or [] for w in words_of(h)}, cache_root())
            self._decoder = Decoder(config)
            self._searches = [self._decoder.current_search()]
            if hints and jsgf is None:
                venue_lm = _write_venue_lm(hints, config["lm"], full_dict, known)
                self._decoder.add_lm_file(VENUE_SEARCH, str(venue_lm))
                self._decoder.activate_search(VENUE_SEARCH)
                self._searches.append(VENUE_SEARCH)
        except (OSError, RuntimeError, ValueError) as err:
            raise ModelError(f"pocketsphinx: cannot load model ({err})") from err
        finally:
            for temporary in (venue_lm, venue_dict):
                if temporary is not None:
                    temporary.unlink(missing_ok=True)
        self.hinted = len(self._searches) > 1
        self._streaming = self._decoder.current_search()
        self.last_search = self._streaming   # which language model gave the last final words
        self.stats = {"settled": 0, "reused": 0, "final": 0}
        self._lock = threading.Lock()
        self._phase = Phase.IDLE
        self._audio: list[bytes] = []
        self._samples = 0
        self._levels: Levels = []
        self._asked = False            # the listener asked for words: a pause (settle once it is quiet enough)
        self._guess: _Settled | None = None
        self._decoder_free = threading.Event()   # cleared while a settle thread has the decoder
        self._decoder_free.set()
        self._ready_ago = 0.0
        self._warm_up()

    def _warm_up(self) -> None:
        """One utterance of quiet noise through every search, so the first visitor's turn pays no one-off
        set-up (the first decode's allocations: ~50 ms more on this machine). The cepstral mean is put
        back afterwards: pocketsphinx carries it from one utterance to the next, and a first turn
        normalised by the mean of quiet noise lost words (real speech in café noise through `run`,
        64.8 -> 76.0 % WER, bench/results/asr.json, until 2026-12-07)."""
        start_mean = self._decoder.get_cmn()
        noise = (np.random.default_rng(0).normal(0, 30, WARM_UP_S * ASR_RATE)).astype(np.int16)
        self.start()
        self.accept(AudioChunk(ASR_RATE, 2, 1, noise.tobytes()))
        self.finish()
        self._decoder.set_cmn(start_mean)
        self.last_search = self._streaming

    # -- the Recognizer Protocol -------------------------------------------------------------

    def start(self) -> None:
        self._decoder_free.wait()
        with self._lock:
            if self._phase is Phase.STREAMING:
                self._decoder.end_utt()
            self._decoder.start_utt()
            self._to(Phase.STREAMING)
            self._audio, self._samples, self._levels, self._asked, self._guess = [], 0, [], False, None

    def accept(self, chunk: AudioChunk) -> None:
        if chunk.rate != ASR_RATE or chunk.channels != 1:
            raise AsrError(f"pocketsphinx: expected 16 kHz mono audio, got {chunk.rate} Hz "
                           f"{chunk.channels} ch")
        if not chunk.audio:      # an echo canceller may hand on an empty chunk while it buffers
            return
        samples = np.frombuffer(chunk.audio, dtype=np.int16)
        with self._lock:
            self._audio.append(chunk.audio)
            self._samples += len(samples)
            self._levels.append((self._samples, dbfs(samples)))
            if self._phase is Phase.STREAMING:
                self._decoder.process_raw(chunk.audio, no_search=False, full_utt=False)
                if self._asked and self.decode_in_pause and quiet_tail(self._levels) >= SETTLE_AFTER_S * ASR_RATE:
                    self._settle(self._words_now())
                elif self._levels[-1][1] >= quiet_below(self._levels):
                    self._asked = False            # words again: wait for the next pause
            elif self._phase is Phase.SETTLED and self._went_on():
                self._catch_up_in_background()
            # SETTLING: the settle thread streams the utterance again after its passes if the
            # visitor went on; this thread (the listener's) never waits for the decoder.

    def partial(self) -> str:
        with self._lock:
            return " ".join(w.word for w in self._words_now())

    def partial_words(self) -> list[TimedWord]:
        """The words so far. Asked in a pause: once its first SETTLE_AFTER_S is heard, the final passes
        start (reused by `finish` if the visitor says no more)."""
        with self._lock:
            if self._phase is Phase.SETTLED and self._went_on():
                self._catch_up_in_background()
            if self._phase is Phase.STREAMING:
                self._asked = True
                words = self._words_now()
                if self.decode_in_pause and quiet_tail(self._levels) >= SETTLE_AFTER_S * ASR_RATE:
                    self._settle(words)
                return words
            return self._words_now()

    def finish(self) -> str:
        self._ready_ago = 0.0
        with self._lock:
            guess = self._guess
        if guess is not None:
            guess.done.wait()
            with self._lock:
                reuse = self._phase is Phase.SETTLED and self._guess is guess and not self._went_on()
                if reuse:
                    self._to(Phase.IDLE)
                    self._guess = None
            if reuse:
                self.stats["reused"] += 1
                self._ready_ago = max(0.0, time.perf_counter() - guess.finished)
                return self._result(guess)
        self._decoder_free.wait()
        with self._lock:
            if self._phase is Phase.IDLE:
                return ""
            if self._phase is Phase.STREAMING:
                self._decoder.end_utt()
            self._to(Phase.IDLE)
            self._guess = None
            audio = b"".join(self._audio)
        self.stats["final"] += 1
        final = _Settled(len(audio) // 2, audio, words=[])
        self._final_passes(final)
        return self._result(final)

    def ready_ago(self) -> float:
        return self._ready_ago

    # -- the final passes, in the pause ----------------------------------------------------------

    def _settle(self, words: list[TimedWord]) -> None:
        """(lock held, streaming) The pause is quiet enough: the streaming pass is ended and the final
        ones run over the audio so far on a `pocketsphinx-settle` thread (the decoder is its own until then)."""
        self._guess = _Settled(self._samples, b"".join(self._audio), words)
        self._to(Phase.SETTLING)
        self.stats["settled"] += 1
        self._decoder_free.clear()
        threading.Thread(target=self._run_settle, args=(self._guess,), name="pocketsphinx-settle",
                         daemon=True).start()

    def _run_settle(self, guess: _Settled) -> None:
        try:
            try:
                self._decoder.end_utt()      # the streaming pass's end costs ~0.2 s: here, not on the listener's thread
                self._final_passes(guess)
            except Exception as err:         # handed to `finish`, which raises it to the supervisor
                _LOGGER.exception("pocketsphinx: decoding failed")
                guess.error = err
            with self._lock:
                went_on = guess.error is None and self._went_on()
                self._to(Phase.CATCHING_UP if went_on else Phase.SETTLED)
            guess.done.set()
            if went_on:
                self._catch_up()
        finally:
            self._decoder_free.set()

    def _went_on(self) -> bool:
        """(lock held) Any sound over the pause's quiet after the audio the final passes heard."""
        return self._guess is not None and any_words_after(self._levels, self._samples, self._guess.samples)

    def _catch_up_in_background(self) -> None:
        """(lock held, settled) The visitor went on after the passes were done: stream the utterance
        again on a thread of its own."""
        self._to(Phase.CATCHING_UP)
        self._decoder_free.clear()

        def run() -> None:
            try:
                self._catch_up()
            finally:
                self._decoder_free.set()
        threading.Thread(target=run, name="pocketsphinx-settle", daemon=True).start()

    def _catch_up(self) -> None:
        """(a settle thread, catching up) Stream the whole utterance anew, a batch of the audio at a
        time with the lock free between them, so the listener's `accept` never waits for it (it only
        keeps the audio); streaming again once it has caught up. Until then the words the kiosk reads
        are the passes' (barge-in judges those)."""
        self._decoder.start_utt()
        done = 0
        while True:
            with self._lock:
                pending = self._audio[done:]
                if not pending:
                    self._guess, self._asked = None, False
                    self._to(Phase.STREAMING)
                    return
            try:
                self._decoder.process_raw(b"".join(pending), no_search=False, full_utt=False)
            except Exception:                # the listener's next `accept` meets the fault and the supervisor rebuilds
                _LOGGER.exception("pocketsphinx: streaming the utterance again failed")
            done += len(pending)

    def _final_passes(self, job: _Settled) -> None:
        """The final words from a second pass over the whole utterance at once: its cepstral mean is
        the utterance's own, not the running estimate that the first words were heard with (the raw
        engine's whole-file figure is decoded that way; streaming alone lost 5-8 points). With venue
        hints it is decoded twice, with the general language model and the venue's, and the
        better-scoring path wins: a question the venue answers fits the venue's model, anything else a
        visitor says fits the general one (the venue model alone cost general speech 16 points)."""
        best = None
        for search in self._searches:
            self._decoder.activate_search(search)
            self._decoder.start_utt()
            self._decoder.process_raw(job.audio, no_search=False, full_utt=True)
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
            if hyp is not None and (best is None or hyp.score > best[0]):
                best = (hyp.score, hyp.hypstr.strip(), search, self._segments())
        self._decoder.activate_search(self._streaming)
        if best is not None:
            job.text, job.search, job.words = best[1], best[2], best[3]
        job.audio = b""                      # decoded: the guess keeps its words, not a second copy of the audio
        job.finished = time.perf_counter()

    def _result(self, job: _Settled) -> str:
        if job.error is not None:
            raise AsrError(f"pocketsphinx: decoding failed ({job.error})") from job.error
        if job.search is not None:
            self.last_search = job.search
        return job.text

    def _words_now(self) -> list[TimedWord]:
        """(lock held) The streaming words, or those of the final passes once they cover the pause."""
        if self._phase is Phase.STREAMING:
            return self._segments() if self._decoder.hyp() is not None else []
        if self._guess is not None:
            return list(self._guess.words)
        return []

    def _segments(self) -> list[TimedWord]:
        return [TimedWord(_ALTERNATE.sub("", s.word), s.start_frame / FRAMES_PER_S, (s.end_frame + 1) / FRAMES_PER_S)
                for s in self._decoder.seg() if not _FILLER.fullmatch(s.word)]

    def _to(self, phase: Phase) -> None:
        if phase is not self._phase and phase not in _NEXT[self._phase]:
            raise AssertionError(f"pocketsphinx: {self._phase.value} -> {phase.value}")
        self._phase = phase


class Phase(enum.Enum):
    """Who has the decoder during an utterance."""

    IDLE = "idle"             # no utterance open
    STREAMING = "streaming"   # it hears each chunk as it comes (the partial words)
    SETTLING = "settling"     # a pause: the settle thread runs the final passes over the audio so far
    SETTLED = "settled"       # they are done; it waits for the turn's end, or for the visitor to go on
    CATCHING_UP = "catching-up"  # the visitor went on: a settle thread streams the utterance again


_NEXT = {
    Phase.IDLE: {Phase.STREAMING},
    Phase.STREAMING: {Phase.SETTLING, Phase.IDLE},
    Phase.SETTLING: {Phase.SETTLED, Phase.CATCHING_UP},
    Phase.SETTLED: {Phase.CATCHING_UP, Phase.STREAMING, Phase.IDLE},   # STREAMING: a new utterance
    Phase.CATCHING_UP: {Phase.STREAMING},
}


@dataclass
class _Settled:
    """The final passes over an utterance's first `samples` samples."""

    samples: int
    audio: bytes
    words: list[TimedWord]        # the streaming words when it began; the final ones once done
    text: str = ""
    search: str | None = None
    error: BaseException | None = None
    finished: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)


VENUE_SEARCH = "venue"  # the search decoding with the venue's language model (the general one is the default)
GENERAL_WORDS = 60000  # the general model's most frequent words stay speakable (bench/phrase_bias.py)


def _write_venue_lm(hints: list[str], lm_path: str, dict_path: str, known: set[str]) -> Path:
    """`known`: the phrases' words the pronunciation dictionary has."""
    started = time.perf_counter()
    general = general_unigrams(lm_path, dict_path, GENERAL_WORDS, cache_root())
    arpa = venue_arpa(hints, general, known)
    fd, name = tempfile.mkstemp(prefix="edge-avatar-venue-", suffix=".arpa")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(arpa)
    _LOGGER.info("pocketsphinx: venue language model from %d phrases in %.2f s", len(hints),
                 time.perf_counter() - started)
    return Path(name)
