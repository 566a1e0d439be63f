"""A recogniser that survives its engine: an exception marks it down, it is rebuilt in the background.

While it is down the kiosk still hears *that* someone spoke (the VAD), but not what: `hearing`
is False, turns end with no words, and the kiosk says it cannot hear right now. The rebuild runs
on its own thread (loading a model takes a second or more), with the back-off of `StageHealth`,
and the rebuilt engine takes over when the next turn begins (never in the middle of one).
With `preload`, even the first load runs in the background, so the avatar is on screen while
the model loads; a visitor who speaks before it is ready is heard once it is (the turn waits).
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from runtime.ops.supervised_stage import FIRST_LOAD_WAIT_S, SupervisedStage

from ..audio.chunk import AudioChunk
from .base import Recognizer, SpeechEvidence, TimedWord

_LOGGER = logging.getLogger(__name__)


class SupervisedRecognizer(SupervisedStage[Recognizer]):
    kind = "recogniser"

    def __init__(self, make: Callable[[], Recognizer], first: Recognizer | None = None,
                 clock: Callable[[], float] = time.monotonic, background: bool = True,
                 name: str | None = None, language: str | None = None, preload: bool = False,
                 on_loaded: Callable[[], None] | None = None):
        self.name, self._language = name or "?", language or "?"
        self._ready: Recognizer | None = None   # rebuilt, waiting for the next turn to begin
        self._in_turn = False
        self._decode_in_pause = True            # set by the kiosk per turn, handed to a rebuilt engine
        super().__init__(make, first, lambda lg: f"asr-{lg}", clock, background, preload, on_loaded)

    @property
    def language(self) -> str:
        """The current language; set by the kiosk, handed to the engine (and to a rebuilt one)."""
        return self._language

    @language.setter
    def language(self, lang: str) -> None:
        self._language = lang
        inner = self._inner
        if inner is not None:
            inner.language = lang

    @property
    def decode_in_pause(self) -> bool:
        return self._decode_in_pause

    @decode_in_pause.setter
    def decode_in_pause(self, value: bool) -> None:
        self._decode_in_pause = value
        inner = self._inner
        if inner is not None:
            inner.decode_in_pause = value

    @property
    def hearing(self) -> bool:
        return self._inner is not None

    def start(self) -> None:
        self._loaded.wait(FIRST_LOAD_WAIT_S)     # a visitor who spoke during the first load is heard
        self._maybe_rebuild()
        self._swap_in()
        self._in_turn = True
        inner = self._inner
        if inner is not None and inner.language != self._language:
            inner.language = self._language     # loaded (or rebuilt) while the kiosk changed language
        self._call("start")

    def accept(self, chunk: AudioChunk) -> None:
        self._call("accept", chunk)

    def partial(self) -> str:
        return self._call("partial") or ""

    def partial_words(self) -> list[TimedWord]:
        return self._call("partial_words") or []

    def finish(self) -> str:
        self._in_turn = False
        return self._call("finish") or ""

    def ready_ago(self) -> float:
        return self._call("ready_ago") or 0.0

    @property
    def weighs_speech(self) -> bool:
        inner = self._inner
        return bool(inner is not None and getattr(inner, "weighs_speech", False))

    def speech_evidence(self) -> SpeechEvidence | None:
        return self._call("speech_evidence") if self.weighs_speech else None

    def heard_language(self) -> str:
        return self._call("heard_language") or self._language

    def tick(self) -> None:
        """Between turns: start a due rebuild, or put a rebuilt one in place, even when nobody speaks."""
        if not self._in_turn:
            self._maybe_rebuild()
            self._swap_in()

    def _call(self, method: str, *args):
        inner = self._inner
        if inner is None:
            return None
        try:
            return getattr(inner, method)(*args)
        except Exception as err:   # any engine fault: this stage goes down, the kiosk does not
            _LOGGER.exception("recogniser %s failed in %s(); rebuilding it in the background", self.name, method)
            self.mark_failed(inner, err)
            return None

    def _waiting(self) -> tuple[Recognizer | None, ...]:
        return (self._ready,)

    def _rebuilt(self, engine: Recognizer) -> None:
        self._ready = engine                      # not mid-turn: `_swap_in` at the next turn or tick

    def _swap_in(self) -> None:
        with self._lock:
            if self._ready is None:
                return
            self._inner, self._ready = self._ready, None
            self._inner.language = self._language
            self._inner.decode_in_pause = self._decode_in_pause
            self.health.restarted(self._clock())
        _LOGGER.warning("recogniser %s rebuilt after %d failure(s); listening again", self.name,
                        self.health.failures)
