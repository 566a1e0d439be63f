"""The kiosk's supervised stages, made for a language: a recogniser and a voice that are rebuilt when
their engine fails, report failures to the kiosk's EventRecorder, and say when they have loaded."""

from __future__ import annotations

import logging
from typing import Callable

from runtime.asr.phrase_hints import pack_phrases
from runtime.asr.supervised import SupervisedRecognizer
from runtime.dialogue.content_pack import ContentPack
from runtime.models.manifest import ModelCatalog
from runtime.ops.event_recorder import EventKind, EventRecorder
from runtime.ops.process_age import process_age_s
from runtime.shared.errors import LanguageError, ModelError
from runtime.tts.supervised import SupervisedSynthesizer

from .backends import (can_recognize, choose_asr, describe_recognizer, describe_synthesizer, describe_voice_id,
                       make_recognizer, make_synthesizer)

_LOGGER = logging.getLogger(__name__)


class Stages:
    def __init__(self, catalog: ModelCatalog, home_lang: str, precision: str, phrase_hints: bool,
                 clock: Callable[[], float], live: bool, events: EventRecorder,
                 asr_setting: str = "auto", board_asr: str = "pocketsphinx", asr_threads: int = 0,
                 turn_languages: tuple[str, ...] = ()):
        self.catalog, self.home_lang, self.precision = catalog, home_lang, precision
        # The languages a turn may be in (the pack's, that this kiosk can hear and speak): one
        # multilingual recogniser serves them all and finds each turn's language.
        self.turn_languages = turn_languages
        self._shared: tuple[str, SupervisedRecognizer] | None = None   # (pack digest, recogniser)
        self._said_single = False
        self.asr_setting, self.board_asr, self.asr_threads = asr_setting, board_asr, asr_threads
        self._asr: dict[str, str] = {}     # language -> the recogniser chosen for it (once, logged)
        self.phrase_hints = phrase_hints
        self.clock = clock
        # Live, the models load in the background while the avatar is already on screen and idling;
        # from a file (tests, benchmarks) they load first, so runs are repeatable.
        self.live = live
        self.events = events
        self.loaded: dict[str, float] = {}    # "asr", "tts", "ready": seconds after the process started
        self._made: list[SupervisedRecognizer | SupervisedSynthesizer] = []

    def voice(self, lang: str, on_demand: bool = False) -> SupervisedSynthesizer:
        """A voice rebuilt when its engine fails; meanwhile espeak-ng speaks, so answers go on.
        `on_demand`: loaded when first asked for a piece the answer cache does not hold (a turn language
        other than the home one: most days it is never loaded, and its cached answers play without it)."""
        from runtime.tts.espeak_tts import EspeakSynthesizer
        engine, voice_rate = describe_synthesizer(self.catalog, lang, self.precision)
        cache_key = describe_voice_id(self.catalog, lang, self.precision) if on_demand else None
        stage = SupervisedSynthesizer(lambda: make_synthesizer(self.catalog, lang, precision=self.precision), None,
                                      fallback=lambda: EspeakSynthesizer(lang), background=self.live,
                                      preload=(engine, lang, voice_rate) if self.live or on_demand else None,
                                      on_loaded=lambda: self._loaded("tts") if lang == self.home_lang else None,
                                      on_demand=on_demand,
                                      voice_id=cache_key)
        stage.on_failure = self._failed
        self._made.append(stage)
        return stage

    def recognizer(self, lang: str, pack: ContentPack, preload: bool = False) -> SupervisedRecognizer:
        """A recogniser that is rebuilt when its engine fails (in the background when live), hinted
        with the pack's phrases."""
        asr = self.asr_for(lang)
        others = self._others(lang, asr, pack)
        if others and self._shared is not None and self._shared[0] == pack.digest:
            shared = self._shared[1]
            shared.language = lang             # the same model: only the current language changes
            return shared
        hints = pack_phrases(pack, lang) if self.phrase_hints else None
        stage = SupervisedRecognizer(lambda: make_recognizer(self.catalog, lang, hints, asr, self.asr_threads, others),
                                     None,
                                     clock=self.clock, background=self.live,
                                     name=describe_recognizer(self.catalog, lang, asr), language=lang,
                                     preload=preload, on_loaded=lambda: self._loaded("asr"))
        stage.on_failure = self._failed
        self._made.append(stage)
        if others:
            self._shared = (pack.digest, stage)
        return stage

    def settle(self, timeout_s: float = 60.0) -> None:
        """Wait for the first loads still running in the background: a start-up refused after they
        began (no speaker, say) ends with its error line, never followed by their log lines."""
        for stage in self._made:
            stage.wait_loaded(timeout_s)

    def close(self) -> None:
        """The run is over: every recogniser's and voice's own threads end (runtime/__main__.py)."""
        for stage in self._made:
            stage.close()

    @property
    def finds_language(self) -> bool:
        """Is each turn's language found (a multilingual Whisper at home, more than one turn language)?"""
        return len(self.turn_languages) > 1 and self.asr_for(self.home_lang).startswith("whisper")

    def _others(self, lang: str, asr: str, pack: ContentPack) -> dict[str, list[str] | None]:
        """The other turn languages, with their phrase hints, when the home language's recogniser is
        multilingual (Whisper) and serves them: that one model then hears every turn and finds its
        language. With a one-language engine at home (pocketsphinx, Vosk) there is no per-turn choice
        (said once): the visitor switches language by asking."""
        if lang not in self.turn_languages or len(self.turn_languages) < 2:
            return {}
        home_asr = self.asr_for(self.home_lang)
        if not home_asr.startswith("whisper"):
            if not self._said_single:
                self._said_single = True
                _LOGGER.info("each turn's language is not found: the %s recogniser (%s) hears one language; "
                             "run --asr whisper-base (or whisper-small) for %s without a menu", self.home_lang,
                             home_asr, " and ".join(self.turn_languages))
            return {}
        if asr != home_asr:
            return {}
        others = {}
        for lg in self.turn_languages:
            if lg == lang:
                continue
            try:
                describe_recognizer(self.catalog, lg, home_asr)
                others[lg] = pack_phrases(pack, lg) if self.phrase_hints else None
            except (LanguageError, ModelError) as err:
                _LOGGER.warning("turns in %s will not be recognised: %s", lg, err)
        return others

    def asr_for(self, lang: str) -> str:
        """The recogniser for `lang`: `run --asr` / settings, else the board's (see `choose_asr`); a
        turn language heard by the home language's multilingual Whisper takes that one."""
        if lang not in self._asr and lang != self.home_lang and lang in self.turn_languages:
            home = self.asr_for(self.home_lang)
            if home.startswith("whisper") and can_recognize(self.catalog, lang, home):
                self._asr[lang] = home
        if lang not in self._asr:
            try:
                self._asr[lang] = choose_asr(self.catalog, lang, self.asr_setting, self.board_asr)
            except (LanguageError, ModelError) as err:
                if lang == self.home_lang:
                    raise                     # the language asked for at start-up: say so, do not guess
                _LOGGER.warning("ASR for %s: %s; the board's choice instead", lang, err)
                self._asr[lang] = choose_asr(self.catalog, lang, "auto", self.board_asr)
        return self._asr[lang]

    def _loaded(self, what: str) -> None:
        self.loaded.setdefault(what, process_age_s())
        if {"asr", "tts"} <= self.loaded.keys() and "ready" not in self.loaded:
            self.loaded["ready"] = max(self.loaded["asr"], self.loaded["tts"])
            _LOGGER.info("listening: recogniser and voice loaded %.2f s after the process started",
                         self.loaded["ready"])

    def _failed(self, stage: str, error: str) -> None:
        self.events.record(EventKind.STAGE_FAILURE, {"stage": stage, "error": error,
                                                     "t_ms": int(self.clock() * 1000)})
