"""What the kiosk says of its own accord: the AI disclosure that opens a session, and the greeting."""

from __future__ import annotations

from runtime.dialogue.answer_text import split_cues
from runtime.dialogue.content_pack import ContentPack
from runtime.dialogue.prompts import PROMPTS, prompt
from runtime.dialogue.responder import Answer

DISCLOSURES = {"en": "I am an AI-generated digital guide.", "zh": "我是人工智能生成的数字人。"}
GREETINGS = {"en": "Hello! Ask me anything about this place.", "zh": "您好！有什么可以帮您？"}


def disclosure_text(pack: ContentPack, lang: str) -> str:
    """The spoken AI disclosure: the pack's wording, else the built-in one (it cannot be removed)."""
    return pack.disclosure.get(lang) or DISCLOSURES.get(lang, DISCLOSURES["en"])


def spoken_text(answer: Answer, pack: ContentPack, disclosed: bool = False) -> str:
    """The words actually said: a new session opens with the AI disclosure, unless it is already being
    said (`disclosed`: the kiosk began it as the visitor's turn ended)."""
    if not answer.new_session or disclosed:
        return answer.text
    return f"{disclosure_text(pack, answer.lang)} {answer.text}"


def greeting_text(pack: ContentPack, lang: str) -> str:
    """The pack's own greeting (its first variant, without cues), else the built-in one."""
    try:
        return split_cues(pack.intent("greeting").answer_variants(lang)[0])[0]
    except KeyError:
        return GREETINGS.get(lang, GREETINGS["en"])


def lines_to_prepare(pack: ContentPack, lang: str) -> tuple[str, ...]:
    """Everything the kiosk may say in `lang` from this pack, cue-free, schedule placeholders left in
    (the answer cache keeps their fixed part): the disclosure first, then each answer as the first of a
    session (after the disclosure), then each answer as said later, the kiosk's own prompts last."""
    disclosure = disclosure_text(pack, lang)
    answers = [pack.fallback[lang]] if lang in pack.fallback else []
    for intent in pack.intents:
        texts = [*intent.answer_variants(lang), *(v for when in intent.when.values() for v in when.get(lang, ())),
                 *(v for fu in intent.followups for v in fu.variants.get(lang, ()))]
        answers += [split_cues(t)[0] for t in texts]
    prompts = [prompt(name, lang, pack.prompts) for name in PROMPTS]
    return tuple(dict.fromkeys([disclosure, *(f"{disclosure} {a}" for a in answers), *answers,
                                greeting_text(pack, lang), *prompts]))
