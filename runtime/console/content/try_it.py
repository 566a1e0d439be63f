""""Try it": a question against the draft, answered by the kiosk's own responder. Pure but for loading.

`Responder(pack)` is what `edge-avatar run` builds (no embedder), and `answer` is one turn with no
history, as `edge-avatar ask` gives: the intent, the confidence, the spoken answer and its cues.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from runtime.dialogue.answer_text import Cue
from runtime.dialogue.content_pack import ContentPack
from runtime.dialogue.responder import Responder
from runtime.dialogue.text_features import detect_language
from runtime.shared.errors import ContentError

MAX_QUESTION_CHARS = 300


@dataclass(frozen=True)
class TryResult:
    question: str
    lang: str
    kind: str
    intent: str | None
    confidence: float
    answer: str
    cues: tuple[Cue, ...]
    runner_up: str | None
    answer_id: str

    def as_json(self) -> dict[str, Any]:
        return {"question": self.question, "lang": self.lang, "kind": self.kind, "intent": self.intent,
                "confidence": round(self.confidence, 3), "answer": self.answer,
                "cues": [c.name for c in self.cues], "runner_up": self.runner_up, "answer_id": self.answer_id}


def try_question(pack: ContentPack, question: str, lang: str | None, now: dt.datetime) -> TryResult:
    """The kiosk's answer to `question` at venue time `now` (lang None: told from the words)."""
    question = (question or "").strip()
    if not question:
        raise ContentError("question: expected the words a visitor would say")
    if len(question) > MAX_QUESTION_CHARS:
        raise ContentError(f"question: expected at most {MAX_QUESTION_CHARS} characters, got {len(question)}")
    responder = Responder(pack)
    lang = lang or detect_language(question)
    if lang not in pack.languages:
        raise ContentError(f"lang: expected one of the pack's languages {list(pack.languages)}, got {lang!r}")
    reply = responder.answer(question, lang, now.astimezone(responder.timezone))
    match = responder.matcher.match(question, lang)
    return TryResult(question, reply.lang, reply.kind, reply.intent, reply.confidence, reply.text, reply.cues,
                     match.runner_up, reply.answer_id)
