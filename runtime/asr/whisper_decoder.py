"""One Whisper decode of one utterance, with the guards a kiosk needs (CTranslate2, int8).

`WhisperDecoder.decode(audio)` turns a visitor's utterance (float 16 kHz) into text. Whisper is
an encoder over a 30 s log-mel window and a text decoder; left alone it makes text out of silence
("you", "Thank you."), loops ("Shall I carry you? Shall I carry you?") and runs on for 448 tokens.
So, in order:

1. **No text without speech**: audio shorter than `min_audio_s`, or never louder than
   `silence_dbfs`, is not decoded at all; an output whose no-speech probability is high (or
   middling, with a low average log-probability) is dropped: that is where "Thank you." comes from.
2. **Tokens capped by the audio**: at most `max_tokens_per_s` per second of audio (plus a few).
3. **No loops**: beam search first (`beam_size`); an output that repeats itself (gzip compression
   ratio over `max_compression`, a repeated run of words, or the cap reached) is decoded again
   greedily with `no_repeat_ngram_size` and a repetition penalty; if that loops too, it is dropped.
   Never temperature sampling: a kiosk wants the same words for the same audio.
4. No conditioning on the previous utterance; the prompt is the venue's phrases only, trimmed to
   fit Whisper's prompt budget (`PROMPT_TOKENS`), plus the Mandarin prompt for zh. The same encoder
   output is also decoded without the venue's phrases (`prompt_choice`) and the text with the higher
   average log-probability is kept, as pocketsphinx arbitrates its venue and general language
   models: the phrases help the venue's own questions and bend other speech towards them ("I'll"
   written "I will"). The no-speech guard reads the prompted decode, as it was measured.
5. **A quick pass first** (`quick_pass`): the encoder over Whisper's 30 s window is most of a decode
   (0.5-1.3 s on two x86 cores) whatever the utterance's length. So the utterance is first decoded in
   a window fitted to it (the audio plus `quick_pad_s` of padding, a few times cheaper), greedily; its
   text is kept when it is sure (every guard passed, average log-probability at least
   `quick_sure_logprob`, no-speech under the language's limit, the language sure); otherwise the
   utterance is decoded again as below, in the 30 s window with beam search. Measured on the listening
   tuning set only (bench/speech_tune, 40 real questions, clean and in three recorded noises,
   2026-12-08): 30 s window alone 6.1 % WER at p50 1.22 s a decode; quick pass kept when sure 5.9 %
   at 0.44 s (145 of 160 kept); the fitted window alone 7.0-8.3 %. English only (`quick_languages`):
   Mandarin was not measured with it, so a kiosk currently in Mandarin does not try it, and a turn
   heard as Mandarin is never kept from it.
6. **The turn's language** (a decoder made for more than one language, `others`): Whisper's
   language identification on the same encoder output (one decoder step), restricted to the
   decoder's languages and judged by `language_id.decide_language`; the text is then decoded with
   that language's task token, prompt and guards. An unsure decision keeps the caller's `current`.

The wall-time cap is the caller's (`whisper_asr.py`): a decode cannot be interrupted, but nobody
has to wait for it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np

from runtime.shared.errors import ModelError

from .base import TimedWord
from .language_id import LanguageDecision, decide_language, too_short, whisper_scores
from .model_parts import ModelFiles
from .whisper_features import FRAMES_PER_S, SAMPLE_RATE, WINDOW_FRAMES, log_mel
from .whisper_text import compression_ratio, cut_repeat, normalise_output, prompt_ids, repeats

_LOGGER = logging.getLogger(__name__)

TEXT_CONTEXT = 448           # decoder positions: prompt + output must fit
# Measured on ../shared: English speech <= 0.15, Mandarin speech (with its prompt) <= 0.37; café,
# transit-stop, crowd and shop-music recordings 0.4-0.8 (en), 0.73-0.93 (zh). Other languages: Whisper's 0.6.
NO_SPEECH_MAX = {"en": 0.35, "zh": 0.6}


@dataclass(frozen=True)
class DecoderSettings:
    beam_size: int = 5
    window: str = "30s"          # "30s": Whisper's own window; "fit": the utterance plus `fit_pad_s`
    fit_pad_s: float = 3.0
    min_audio_s: float = 0.25    # shorter audio is never a question (the VAD's turns are >= 0.12 s of speech)
    silence_dbfs: float = -55.0  # audio never louder than this (30 ms RMS) is not speech
    no_speech_max: float | None = None   # drop an output whose no-speech probability is at least this;
                                         # None: NO_SPEECH_MAX for the language
    unsure_no_speech: float = 0.2  # ... or at least this with an average log-probability under `unsure_logprob`
    unsure_logprob: float = -1.0
    sure_logprob: float = -0.5     # ... but keep text this likely (average log-probability) up to `sure_no_speech_max`:
    sure_no_speech_max: float = 0.6  # speech over clatter raises Whisper's no-speech figure, not its doubt in the words
    max_tokens_per_s: float = 10.0
    extra_tokens: int = 10
    max_compression: float = 2.4   # gzip ratio of the text above which it is a loop (Whisper's own figure)
    fallback_no_repeat_ngram: int = 3
    fallback_repetition_penalty: float = 1.3
    word_times: bool = False     # align words to the audio (one more decoder pass)
    prompt_choice: bool = True   # decode without the venue's phrases too and keep the likelier text
    quick_pass: bool = True      # first a greedy decode of a window fitted to the utterance, kept when sure
    quick_pad_s: float = 6.0     # its window: the utterance plus this
    quick_sure_logprob: float = -0.25
    quick_languages: tuple[str, ...] = ("en",)   # the languages whose quick text may be kept (measured)

    def __post_init__(self) -> None:
        if self.window not in ("30s", "fit"):
            raise ValueError(f"window: expected 30s or fit, got {self.window!r}")


@dataclass(frozen=True)
class Decoded:
    text: str
    words: tuple[TimedWord, ...] = ()
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0
    dropped: str | None = None   # why no text: "short", "silence", "no-speech", "loop"
    fallback: bool = False       # the greedy, repetition-guarded pass was needed
    seconds: float = 0.0         # wall time of this decode
    audio_s: float = 0.0
    language: str = ""           # the language it was decoded in
    language_id: LanguageDecision | None = None   # how that was decided (None: one-language decoder)
    quick: bool = False          # the text of the quick pass, in a window fitted to the utterance

    def as_words(self) -> list[TimedWord]:
        return list(self.words) if self.words else [TimedWord(w) for w in self.text.split()]


class WhisperDecoder:
    def __init__(self, files: ModelFiles, language: str, threads: int = 2,
                 phrases: list[str] | None = None, settings: DecoderSettings = DecoderSettings(),
                 others: dict[str, list[str] | None] | None = None):
        """`language`: the home language; `others`: more languages a turn may be in, each with its
        venue phrases (per-turn language identification when there are any)."""
        try:
            import ctranslate2
            import tokenizers
        except ImportError as err:
            raise ModelError(f"whisper: {err.name} is not installed (pip install ctranslate2 tokenizers)") from err
        self._ct2, self.settings, self.language = ctranslate2, settings, language
        try:
            if files.in_memory is not None:
                self._model = ctranslate2.models.Whisper(str(files.folder), device="cpu", compute_type="int8",
                                                         intra_threads=threads, files=files.in_memory)
                self._tok = tokenizers.Tokenizer.from_str(files.in_memory["tokenizer.json"].decode("utf-8"))
            else:
                self._model = ctranslate2.models.Whisper(str(files.folder), device="cpu", compute_type="int8",
                                                         intra_threads=threads)
                self._tok = tokenizers.Tokenizer.from_file(str(files.folder / "tokenizer.json"))
        except (RuntimeError, ValueError, OSError, KeyError) as err:
            raise ModelError(f"{files.folder}: CTranslate2 cannot load this Whisper model ({err})") from err
        if not self._model.is_multilingual and language != "en":
            raise ModelError(f"{files.folder}: an English-only Whisper model cannot recognise {language!r}")
        others = {lg: p for lg, p in (others or {}).items() if lg != language}
        if others and not self._model.is_multilingual:
            raise ModelError(f"{files.folder}: an English-only Whisper model cannot tell {sorted(others)} from English")
        token = self._tok.token_to_id
        self._eot = token("<|endoftext|>")
        self.languages = (language, *others)
        self._tasks: dict[str, list[int]] = {}
        self._prompts: dict[str, list[int]] = {}
        self._plain: dict[str, list[int]] = {}      # the language's own prompt only (zh: 以下是普通话的句子。)
        for lang, lang_phrases in ((language, phrases), *others.items()):
            lang_token = token(f"<|{lang}|>")
            if lang_token is None:
                raise ModelError(f"whisper: no language token for {lang!r}")
            self._tasks[lang] = ([token("<|startoftranscript|>"), lang_token, token("<|transcribe|>"),
                                  token("<|notimestamps|>")] if self._model.is_multilingual
                                 else [token("<|startoftranscript|>"), token("<|notimestamps|>")])
            self._prompts[lang] = prompt_ids(self._tok, lang, lang_phrases or [])
            self._plain[lang] = prompt_ids(self._tok, lang, [])
        self._task, self._prompt = self._tasks[language], self._prompts[language]
        self._n_mels = self._model.n_mels
        self.prompt_text = self._tok.decode(self._prompt[1:]).strip() if self._prompt else ""
        self.prompt_tokens = max(0, len(self._prompt) - 1)

    def warm_up(self) -> float:
        """One throw-away decode, so the first visitor does not pay CTranslate2's first-call costs
        (measured: the first decode of a process takes 2-3 times as long). Returns its seconds."""
        started = time.perf_counter()
        s = self.settings
        windows = [WINDOW_FRAMES if s.window == "30s" else _fitted(FRAMES_PER_S, s.fit_pad_s)]
        if s.quick_pass and s.window == "30s":
            windows.append(_fitted(FRAMES_PER_S, s.quick_pad_s))
        for window, beam in zip(windows, (s.beam_size, 1)):
            features = log_mel(np.zeros(SAMPLE_RATE, np.float32), self._n_mels, pad_to=window)
            encoded = self._model.encode(self._ct2.StorageView.from_array(features[None]), to_cpu=False)
            self._model.generate(encoded, [self._prompt + self._task], beam_size=beam,
                                 max_length=len(self._prompt) + len(self._task) + 4)
        return time.perf_counter() - started

    def decode(self, audio: np.ndarray, current: str | None = None) -> Decoded:
        """The utterance's text; with more than one language, in the one it was spoken in (`current`,
        default the home language, when that is unsure)."""
        started = time.perf_counter()
        s = self.settings
        current = current if current in self._tasks else self.language
        audio_s = len(audio) / SAMPLE_RATE
        if audio_s < s.min_audio_s:
            return Decoded("", dropped="short", audio_s=audio_s, language=current)
        if peak_dbfs(audio) < s.silence_dbfs:
            return Decoded("", dropped="silence", audio_s=audio_s, language=current)
        frames = len(audio) // (SAMPLE_RATE // FRAMES_PER_S)
        if s.quick_pass and s.window == "30s" and current in s.quick_languages:
            quick = self._decode_in(audio, current, _fitted(frames, s.quick_pad_s), 1)
            if self._quick_is_sure(quick):
                return replace(quick, seconds=time.perf_counter() - started, quick=True)
            _LOGGER.debug("whisper: quick pass unsure (%r, log-prob %.2f, no-speech %.2f%s): the 30 s window",
                          quick.text, quick.avg_logprob, quick.no_speech_prob,
                          f", {quick.dropped}" if quick.dropped else "")
        window = WINDOW_FRAMES if s.window == "30s" else _fitted(frames, s.fit_pad_s)
        return replace(self._decode_in(audio, current, window, s.beam_size), seconds=time.perf_counter() - started)

    def _quick_is_sure(self, quick: Decoded) -> bool:
        s = self.settings
        return (quick.dropped is None and not quick.fallback and bool(quick.text)
                and quick.avg_logprob >= s.quick_sure_logprob
                and quick.no_speech_prob < NO_SPEECH_MAX.get(quick.language, 0.6)
                and quick.language in s.quick_languages
                and (quick.language_id is None or quick.language_id.confident))

    def _decode_in(self, audio: np.ndarray, current: str, window: int, beam: int) -> Decoded:
        """One encoder pass over `window` mel frames, the language, the text with its guards."""
        started = time.perf_counter()
        s = self.settings
        audio_s = len(audio) / SAMPLE_RATE
        frames = len(audio) // (SAMPLE_RATE // FRAMES_PER_S)
        features = log_mel(audio[:WINDOW_FRAMES * SAMPLE_RATE // FRAMES_PER_S], self._n_mels, pad_to=window)
        encoded = self._model.encode(self._ct2.StorageView.from_array(features[None]), to_cpu=False)
        lang, decision = self._language(encoded, current, audio_s)
        prompt = self._prompts[lang] + self._tasks[lang]
        result, ids, fallback = self._generate(encoded, prompt, audio_s, beam)
        no_speech = float(result.no_speech_prob)      # the guard below was measured with the venue prompt
        avg_logprob = _avg_logprob(result, ids)
        plain = self._plain[lang] + self._tasks[lang]
        if s.prompt_choice and plain != prompt:
            other, other_ids, other_fallback = self._generate(encoded, plain, audio_s, beam)
            if other_ids and _avg_logprob(other, other_ids) > avg_logprob:
                _LOGGER.debug("whisper: kept the decode without the venue prompt (%r over %r)",
                              self._tok.decode(other_ids), self._tok.decode(ids))
                prompt, ids, fallback, avg_logprob = plain, other_ids, other_fallback, _avg_logprob(other, other_ids)
        text = normalise_output(self._tok.decode(ids), lang)
        seconds = time.perf_counter() - started
        dropped = None
        if not heard_speech(no_speech, avg_logprob, lang, s):
            dropped = "no-speech"
        elif fallback and compression_ratio(text) > s.max_compression:
            dropped = "loop"
        elif fallback and repeats(text):
            _LOGGER.info("whisper: %r repeats itself even when decoded greedily; kept up to the repeat", text)
            text = cut_repeat(text)
        if dropped:
            _LOGGER.info("whisper: dropped %r (%s; no-speech %.2f, log-prob %.2f)", text, dropped, no_speech, avg_logprob)
            return Decoded("", (), no_speech, avg_logprob, dropped, fallback, seconds, audio_s, lang, decision)
        words: tuple[TimedWord, ...] = ()
        if s.word_times and ids:
            words = self._align(encoded, prompt, ids, min(frames, window), lang)
        return Decoded(text, words, no_speech, avg_logprob, None, fallback, time.perf_counter() - started, audio_s,
                       lang, decision)

    def _generate(self, encoded, prompt: list[int], audio_s: float, beam: int) -> tuple[object, list[int], bool]:
        """(result, text ids, whether the repetition-guarded greedy pass was needed) for one prompt."""
        s = self.settings
        cap = min(TEXT_CONTEXT, len(prompt) + int(s.max_tokens_per_s * audio_s) + s.extra_tokens)
        result = self._model.generate(encoded, [prompt], beam_size=beam, max_length=cap,
                                      return_scores=True, return_no_speech_prob=True)[0]
        ids = self._text_ids(result)
        if not self._loops(ids, len(prompt), cap):
            return result, ids, False
        result = self._model.generate(encoded, [prompt], beam_size=1, max_length=cap, return_scores=True,
                                      return_no_speech_prob=True, no_repeat_ngram_size=s.fallback_no_repeat_ngram,
                                      repetition_penalty=s.fallback_repetition_penalty)[0]
        return result, self._text_ids(result), True

    def _language(self, encoded, current: str, audio_s: float) -> tuple[str, LanguageDecision | None]:
        """The language to decode in: `current` for a one-language decoder or too little audio, else
        Whisper's language identification on this encoder output, judged among the decoder's languages."""
        if len(self.languages) < 2:
            return current, None
        if too_short(audio_s):
            return current, LanguageDecision(current, None, 0.0, 0.0, False)
        scores = whisper_scores(self._model.detect_language(encoded)[0])
        decision = decide_language(scores, self.languages, current)
        _LOGGER.debug("whisper: language %s (heard %s, share %.2f, p %.2f, %s)", decision.language, decision.heard,
                      decision.share, decision.prob, "sure" if decision.confident else "unsure: kept")
        return decision.language, decision

    def _text_ids(self, result) -> list[int]:
        """The generated tokens without the end token (and any special token after it)."""
        ids = list(result.sequences_ids[0]) if result.sequences_ids else []
        return [i for i in ids if i < self._eot]

    def _loops(self, ids: list[int], prompt_len: int, cap: int) -> bool:
        if not ids:
            return False
        text = self._tok.decode(ids)
        return (len(ids) + prompt_len >= cap - 1 or compression_ratio(text) > self.settings.max_compression
                or repeats(text))

    def _align(self, encoded, prompt: list[int], ids: list[int], frames: int, lang: str) -> tuple[TimedWord, ...]:
        """Word times from the cross-attention alignment (one decoder pass over the words)."""
        alignment = self._model.align(encoded, prompt, [ids], [frames])[0].alignments
        token_start: dict[int, float] = {}
        token_end: dict[int, float] = {}
        for text_index, time_index in alignment:
            t = time_index * 2 / FRAMES_PER_S      # encoder frames are 20 ms
            token_start.setdefault(text_index, t)
            token_end[text_index] = t + 0.02
        words, current, first = [], [], 0
        for i, token in enumerate(ids + [None]):
            piece = self._tok.decode([token]) if token is not None else " "
            if current and (token is None or piece.startswith(" ")):
                word = normalise_output(self._tok.decode(current), lang)
                if word:
                    words.append(TimedWord(word, token_start.get(first), token_end.get(i - 1)))
                current = []
            if token is not None:
                if not current:
                    first = i
                current.append(token)
        return tuple(words)


def _fitted(frames: int, pad_s: float) -> int:
    """A window of mel frames fitted to an utterance of `frames`: padded, even, at most Whisper's 30 s."""
    window = min(WINDOW_FRAMES, frames + int(pad_s * FRAMES_PER_S))
    return window + window % 2


def peak_dbfs(audio: np.ndarray, window: int = 480) -> float:
    """The loudest 30 ms RMS of the audio, in dBFS."""
    n = len(audio) // window
    if n == 0:
        return -120.0
    rms = np.sqrt(np.mean(np.square(audio[:n * window].reshape(n, window), dtype=np.float64), axis=1))
    return float(20 * np.log10(max(rms.max(), 1e-6)))


def heard_speech(no_speech: float, avg_logprob: float, lang: str, s: DecoderSettings) -> bool:
    """Whether a decode is a visitor's words rather than Whisper's guess in noise ("Thank you.").
    Measured with the venue prompt (dev probe, 2026-12-07): 98 four-second pieces of the nine recorded
    noises without speech, at -30 and -24 dBFS, all decode to text with no-speech 0.53-0.90 and average
    log-probability -0.30 to -1.23, never both under 0.6 and over -0.5; a real reading in dish clatter
    decoded right at no-speech 0.35, log-prob -0.20."""
    no_speech_max = s.no_speech_max if s.no_speech_max is not None else NO_SPEECH_MAX.get(lang, 0.6)
    if no_speech >= s.unsure_no_speech and avg_logprob < s.unsure_logprob:
        return False
    if no_speech < no_speech_max:
        return True
    return no_speech < s.sure_no_speech_max and avg_logprob >= s.sure_logprob


def _avg_logprob(result, ids: list[int]) -> float:
    """CTranslate2's length-normalised score as Whisper's average log-probability per token (the end
    token counted)."""
    return float(result.scores[0]) * len(ids) / (len(ids) + 1) if result.scores else 0.0
