"""Whisper behind the `Recognizer` Protocol, its latency hidden in the visitor's pause.

Whisper is not a streaming recogniser: it decodes a whole utterance at once (~0.5 s for Whisper
base on two x86 cores). The listener asks for partial words in every pause (at most every 100 ms)
and for the final transcript once the end-of-turn wait is over, so:

- `accept` only keeps the utterance's audio (16 kHz int16) and each chunk's level.
- `partial_words` / `partial` never wait. The first time they are asked after new speech, a decode
  of the audio so far starts on the `whisper-decode` thread (at the first quiet chunk, so the word
  the visitor just finished is in it); they answer the last *finished* decode's words.
- `finish` reuses that speculative decode when nothing that matters came after it (the listener
  feeds up to 0.35 s of the pause's silence: quiet chunks do not count), waiting for it if it is
  still running; when more speech came, the guess is thrown away and the whole utterance decoded.
- A guess that a newer one replaced before its turn came is never decoded.
- A decode cannot be interrupted, so `finish` waits at most `wall_cap_s` and then answers with
  what it has (the last partial words, else nothing), logging it; a late result is dropped.

One decode runs at a time (two CTranslate2 threads: the board's `inference_threads`).

Made for more than one language, each decode also finds the language the visitor spoke in (see
`whisper_decoder`); `language` is the kiosk's current language (kept when Whisper is unsure) and
`heard_language()` the language of the last finished utterance.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from runtime.shared.errors import AsrError

from ..audio.chunk import AudioChunk
from .base import ASR_RATE, EngineDefaults, SpeechEvidence, TimedWord
from .pause_levels import dbfs, matters_after, quiet_below
from .whisper_decoder import Decoded, DecoderSettings, WhisperDecoder

_LOGGER = logging.getLogger(__name__)

RESUMED_AFTER_LOUD = 3         # loud chunks after a pause that mean the visitor went on talking


@dataclass
class _Job:
    utterance: int
    samples: int                  # the decode covers the utterance's first `samples` samples
    audio: np.ndarray
    current: str                  # the kiosk's language when it was launched (kept if unsure)
    done: threading.Event = field(default_factory=threading.Event)
    result: Decoded | None = None
    error: BaseException | None = None
    finished: float = 0.0         # perf_counter when it was done


class WhisperRecognizer(EngineDefaults):
    weighs_speech = True     # its no-speech probability and log-probability judge a turn (listening/turn_judge.py)

    def __init__(self, decoder: WhisperDecoder, name: str = "whisper-base", wall_cap_s: float = 8.0):
        self.name = name
        self.language = decoder.language          # the current language (the kiosk sets it)
        self.languages = decoder.languages        # the languages a turn may be in
        self._heard: str | None = None            # of the last finished utterance
        self.decoder = decoder
        self.wall_cap_s = wall_cap_s
        self.stats = {"decodes": 0, "quick": 0, "reused": 0, "final": 0, "discarded": 0, "timeouts": 0}
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._utterance = 0
        self._chunks: list[np.ndarray] = []
        self._samples = 0
        self._levels: list[tuple[int, float]] = []    # (samples at the chunk's end, its dBFS)
        self._launched: list[_Job] = []               # this utterance's decodes, oldest first
        self._wanted = False                          # a pause was seen: decode at the next quiet chunk
        self._loud_since_wanted = 0
        self._after_running = False
        self._ready_ago = 0.0                         # of the last `finish` (see `ready_ago`)
        self._evidence: SpeechEvidence | None = None  # of the last `finish` (see `speech_evidence`)
        self._worker = threading.Thread(target=_decode_loop, args=(weakref.ref(self), self._jobs),
                                        name="whisper-decode", daemon=True)
        self._worker.start()

    def close(self, timeout: float = 10) -> None:
        """The kiosk stops: the decode in flight is finished, the rest skipped, the thread ends."""
        self._jobs.put(None)
        self._worker.join(timeout)

    # -- the Recognizer Protocol -------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            self._utterance += 1
            self._heard = None
            self._chunks, self._samples, self._levels, self._launched = [], 0, [], []
            self._wanted, self._loud_since_wanted, self._after_running = False, 0, False

    def accept(self, chunk: AudioChunk) -> None:
        if chunk.rate != ASR_RATE or chunk.channels != 1 or chunk.width != 2:
            raise AsrError(f"whisper: expected 16 kHz mono 16-bit audio, got {chunk.rate} Hz "
                           f"{chunk.channels} ch {8 * chunk.width}-bit")
        if not chunk.audio:      # an echo canceller may hand on an empty chunk while it buffers
            return
        samples = np.frombuffer(chunk.audio, dtype=np.int16)
        level = dbfs(samples)
        with self._lock:
            self._chunks.append(samples)
            self._samples += len(samples)
            self._levels.append((self._samples, level))
            if not self._wanted:
                return
            if level < self._quiet_below():
                self._launch()
            else:
                self._loud_since_wanted += 1
                if self._loud_since_wanted >= RESUMED_AFTER_LOUD:
                    self._wanted = False          # not a pause after all: wait for the next one

    def partial(self) -> str:
        return " ".join(w.word for w in self.partial_words())

    def partial_words(self) -> list[TimedWord]:
        with self._lock:
            self._ask()
            best = self._best_finished()
        if best is None:
            return []
        if best.error is not None:
            raise AsrError(f"whisper: decoding failed ({best.error})") from best.error
        if best.result is not None and best.result.language:
            self._heard = best.result.language       # the language these words were decoded in
        return best.result.as_words() if best.result else []

    def ready_ago(self) -> float:
        return self._ready_ago

    def heard_language(self) -> str:
        """The language the latest words handed out (partial or final) were decoded in; the current
        language before any this utterance."""
        return self._heard or self.language

    def speech_evidence(self) -> SpeechEvidence | None:
        return self._evidence

    def finish(self) -> str:
        started = time.perf_counter()
        self._ready_ago = 0.0
        self._heard = None
        self._evidence = None
        with self._lock:
            utterance = self._utterance
            cover = self._covering()
            if cover is not None:
                self.stats["reused"] += 1
            elif self._samples:
                if self._launched:
                    self.stats["discarded"] += 1      # more speech came after the guess
                cover = self._launch()
                self.stats["final"] += 1
            self._wanted = self._after_running = False
        if cover is None:
            return ""
        if not cover.done.wait(max(0.0, self.wall_cap_s - (time.perf_counter() - started))):
            self.stats["timeouts"] += 1
            with self._lock:                      # a guess may have finished while we waited
                fallback = self._best_finished() if self._utterance == utterance else None
            text = fallback.result.text if fallback is not None and fallback.result else ""
            if fallback is not None and fallback.result is not None and fallback.result.language:
                self._heard = fallback.result.language
            self._evidence = _evidence(fallback.result) if fallback is not None else None
            _LOGGER.warning("whisper: no transcript %.1f s after the turn ended (utterance %d); answering "
                            "with the last partial words %r", self.wall_cap_s, utterance, text)
            return text
        if cover.error is not None:
            raise AsrError(f"whisper: decoding failed ({cover.error})") from cover.error
        self._ready_ago = max(0.0, time.perf_counter() - cover.finished)   # a guess done in the pause
        if cover.result is not None and cover.result.language:
            self._heard = cover.result.language
        self._evidence = _evidence(cover.result)
        return cover.result.text if cover.result else ""

    # -- speculation ----------------------------------------------------------------------------

    def _ask(self) -> None:
        """A pause: decode the audio so far, now if its last chunk is quiet, else at the next quiet
        chunk; asked again with none between (a noisy hall, or the listener stopped feeding): now."""
        running = bool(self._launched) and not self._launched[-1].done.is_set()
        newest = self._launched[-1] if self._launched else None
        fresh = self._samples > 0 and (newest is None or self._matters_after(newest.samples))
        if not fresh:
            return
        if running:
            self._after_running = True    # decode again as soon as the running (stale) one is done
            return
        if self._wanted or (self._levels and self._levels[-1][1] < self._quiet_below()):
            self._launch()
        else:
            self._wanted, self._loud_since_wanted = True, 0

    def _launch(self) -> _Job:
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        job = _Job(self._utterance, self._samples, audio, self.language)
        self._launched.append(job)
        self._wanted = self._after_running = False
        self.stats["decodes"] += 1
        self._jobs.put(job)
        return job

    def _covering(self) -> _Job | None:
        """The newest decode (finished or running) if no audio that matters arrived after it."""
        newest = self._launched[-1] if self._launched else None
        if newest is None or newest.error is not None or self._matters_after(newest.samples):
            return None
        return newest

    def _best_finished(self) -> _Job | None:
        return next((j for j in reversed(self._launched)
                     if j.done.is_set() and (j.result is not None or j.error is not None)), None)

    def _matters_after(self, samples: int) -> bool:
        return matters_after(self._levels, self._samples, samples)

    def _quiet_below(self) -> float:
        return quiet_below(self._levels)

    # -- the decode thread -----------------------------------------------------------------------

    def _decode(self, job: _Job) -> None:
        """On the decode thread: one job, unless nobody would read it: its turn is over, or a newer
        guess of the same turn was launched while it queued (each decode costs the visitor ~0.5 s)."""
        with self._lock:
            stale = job.utterance != self._utterance or (bool(self._launched) and self._launched[-1] is not job)
        if not stale:
            try:
                job.result = self.decoder.decode(job.audio.astype(np.float32) / 32768.0, job.current)
                self.stats["quick"] += job.result.quick
                _LOGGER.debug("whisper: decoded %.2f s of utterance %d in %.2f s%s: %r", job.samples / ASR_RATE,
                              job.utterance, job.result.seconds, " (quick pass)" if job.result.quick else "",
                              job.result.text)
            except Exception as err:     # handed to the caller, who marks the engine failed
                _LOGGER.exception("whisper: decoding failed")
                job.error = err
        job.finished = time.perf_counter()
        job.done.set()
        with self._lock:
            if (self._after_running and job.utterance == self._utterance and self._launched
                    and self._launched[-1] is job and self._matters_after(job.samples)):
                self._launch()


def _decode_loop(owner: weakref.ref, jobs: queue.SimpleQueue) -> None:
    """The `whisper-decode` thread; it ends when its recogniser is closed (after the decode in flight),
    or once it is gone (replaced after a failure)."""
    while True:
        try:
            job = jobs.get(timeout=5.0)
        except queue.Empty:
            if owner() is None:
                return
            continue
        if job is None:
            return
        recognizer = owner()
        if recognizer is None:
            return
        recognizer._decode(job)
        del recognizer


def _evidence(result: Decoded | None) -> SpeechEvidence | None:
    """What a decode says of its audio's speech (an output its guards dropped counts no words)."""
    if result is None or result.dropped in ("short", "silence"):
        return None if result is None else SpeechEvidence(1.0, -10.0, 0, result.language)
    return SpeechEvidence(result.no_speech_prob, result.avg_logprob, len(result.text.split()), result.language)


def load_whisper(entry, language: str, threads: int = 2, phrases: list[str] | None = None,
                 settings: DecoderSettings = DecoderSettings(), cache: Path | None = None,
                 name: str | None = None, others: dict[str, list[str] | None] | None = None) -> WhisperRecognizer:
    """A Whisper recogniser for a manifest entry (its parts joined into the cache on first use);
    `others`: more languages a turn may be in, with their phrases (per-turn language identification)."""
    from .int8_model import whisper_files
    started = time.perf_counter()
    files, how = whisper_files(entry, cache)
    decoder = WhisperDecoder(files, language, threads, phrases, settings, others)
    warm_s = decoder.warm_up()
    _LOGGER.info("whisper %s (%s) loaded in %.1f s (warm-up decode %.2f s): int8 (on disk: %s), %d threads, "
                 "%s%s window, beam %d, prompt of %d venue tokens%s", entry.id, language, time.perf_counter() - started,
                 warm_s, how, threads, "a quick fitted window kept when sure (%s), else the " % "/".join(
                     settings.quick_languages) if settings.quick_pass and settings.window == "30s" else "",
                 settings.window, settings.beam_size, decoder.prompt_tokens,
                 f"; each turn's language found among {'/'.join(decoder.languages)}" if len(decoder.languages) > 1 else "")
    return WhisperRecognizer(decoder, name or entry.id)
