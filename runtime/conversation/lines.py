"""What the kiosk says of its own accord: the AI disclosure that opens a session, and the greeting."""

from __future__ import annotations

from runtime.dialogue.answer_text import split_cues
from runtime.dialogue.content_pack import ContentPack
from runtime.dialogue.responder import Answer

DISCLOSURES = {"en": "I am an AI-generated digital guide.", "zh": "我是人工智能生成的数字人。"}
GREETINGS = {"en": "Hello! Ask me anything about this place.", "zh": "您好！有什么可以帮您？"}


def spoken_text(answer: Answer, pack: ContentPack) -> str:
    """The words actually said: a new session opens with the AI disclosure (it cannot be removed)."""
    if not answer.new_session:
        return answer.text
    return f"{pack.disclosure.get(answer.lang) or DISCLOSURES[answer.lang]} {answer.text}"


def greeting_text(pack: ContentPack, lang: str) -> str:
    """The pack's own greeting (its first variant, without cues), else the built-in one."""
    try:
        return split_cues(pack.intent("greeting").answer_variants(lang)[0])[0]
    except KeyError:
        return GREETINGS.get(lang, GREETINGS["en"])
