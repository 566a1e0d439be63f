"""One dialogue step: a transcript in, an approved answer out (or the fallback)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import LanguageError
from .content_pack import ContentPack
from .matcher import IntentMatcher
from .text_features import detect_language


@dataclass(frozen=True)
class Answer:
    intent: str | None
    text: str
    confidence: float
    lang: str
    pack: str       # venue id of the pack that approved the answer
    pack_digest: str

    def as_json(self) -> dict:
        return {"intent": self.intent, "answer": self.text, "confidence": self.confidence,
                "lang": self.lang}


class Responder:
    def __init__(self, pack: ContentPack, threshold: float | None = None):
        self.pack = pack
        self.matcher = IntentMatcher(pack) if threshold is None else IntentMatcher(pack, threshold)

    def check_language(self, lang: str) -> str:
        if lang not in self.pack.languages:
            raise LanguageError(f"language {lang!r}: the content pack {self.pack.venue_id} "
                                f"has {list(self.pack.languages)}")
        return lang

    def answer(self, text: str, lang: str | None = None) -> Answer:
        lang = self.check_language(lang) if lang else self._guess_language(text)
        match = self.matcher.match(text, lang)
        if match.intent_id is None:
            reply = self.pack.fallback[lang]
        else:
            reply = self.pack.intent(match.intent_id).answers[lang]
        return Answer(match.intent_id, reply, match.confidence, lang,
                      self.pack.venue_id, self.pack.digest)

    def _guess_language(self, text: str) -> str:
        lang = detect_language(text)
        return lang if lang in self.pack.languages else self.pack.default_language
