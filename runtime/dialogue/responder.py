"""The dialogue's front door: a content pack's matcher, and conversations over it.

`Responder.session()` starts a visitor's conversation (runtime/dialogue/session.py);
`Responder.answer()` is one stateless turn, for `edge-avatar ask` and checks.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from runtime.safety.guard import SafetyDetector
from runtime.shared.errors import LanguageError

from .content_pack import ContentPack
from .embedding import Embedder
from .matcher import IntentMatcher
from .semantic import SemanticIndex
from .session import DialogueSession, Reply

Answer = Reply  # one name for "what the kiosk says back", whichever path made it


class Responder:
    def __init__(self, pack: ContentPack, threshold: float | None = None, embedder: Embedder | None = None,
                 safety: SafetyDetector | None = None):
        self.pack = pack
        self.safety = safety       # the safety layer's detector (None: the cues alone)
        self.embedder = embedder   # sentence embeddings next to the lexical matcher (None: lexical only)
        semantic = SemanticIndex(pack, embedder) if embedder is not None else None
        self.matcher = IntentMatcher(pack, threshold, semantic=semantic)
        try:
            self.timezone: dt.tzinfo = ZoneInfo(pack.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self.timezone = dt.timezone.utc

    def check_language(self, lang: str) -> str:
        if lang not in self.pack.languages:
            raise LanguageError(f"language {lang!r}: the content pack {self.pack.venue_id} "
                                f"has {list(self.pack.languages)}")
        return lang

    def session(self, listen_languages: tuple[str, ...] | None = None) -> DialogueSession:
        return DialogueSession(self.pack, self.matcher, listen_languages, safety=self.safety)

    def venue_time(self, utc: dt.datetime) -> dt.datetime:
        return utc.astimezone(self.timezone)

    def answer(self, text: str, lang: str | None = None, now: dt.datetime | None = None) -> Reply:
        """One turn with no history. `now` defaults to the venue's current time."""
        if lang:
            self.check_language(lang)
        when = now or self.venue_time(dt.datetime.now(dt.timezone.utc))
        return self.session().decide(text, 0.0, when, lang)
