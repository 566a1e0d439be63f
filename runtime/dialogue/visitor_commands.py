"""What a visitor says to steer the conversation rather than ask about the venue. Pure.

"say that again" / "再说一遍" -> repeat; "English please" / "说中文" -> switch language;
"the first one" / "第二个" -> pick an option after a clarifying question. Only short
utterances count, so "is there an English bookshop" is still a question.
"""

from __future__ import annotations

from .text_features import normalise

_REPEAT = {
    "en": ("say that again", "say it again", "repeat that", "repeat please", "please repeat", "can you repeat",
           "could you repeat", "come again", "pardon", "what did you say", "sorry what", "one more time",
           "i didn't catch that", "i did not catch that", "again please", "repeat"),
    "zh": ("再说一遍", "再说一次", "再讲一遍", "再讲一次", "重复一下", "重复一遍", "没听清", "你说什么", "再来一遍"),
}
_SWITCH = {
    "en": ("english", "英文", "英语"),
    "zh": ("chinese", "mandarin", "中文", "普通话", "汉语", "国语", "华语"),
}
_SWITCH_VERBS = ("speak", "talk", "in", "please", "can you", "switch", "change", "use", "说", "讲", "用", "请",
                 "换成", "切换", "能", "可以")
_ORDINALS = {
    0: ("first", "the first one", "former", "the first", "第一个", "第一", "前面那个", "前一个", "前者"),
    1: ("second", "the second one", "latter", "the other one", "the second", "第二个", "第二", "后面那个",
        "后一个", "后者"),
}
_MAX_WORDS, _MAX_HAN = 6, 10


def _short(text: str) -> bool:
    words = text.split()
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return len(words) <= _MAX_WORDS and han <= _MAX_HAN


def wants_repeat(text: str) -> bool:
    t = normalise(text)
    if not t or not _short(t):
        return False
    return any(p in t for phrases in _REPEAT.values() for p in phrases)


def wants_language(text: str) -> str | None:
    """The language asked for ('en'/'zh'), or None."""
    t = normalise(text)
    if not t or not _short(t):
        return None
    for lang, names in _SWITCH.items():
        for name in names:
            if name in t:
                rest = t.replace(name, " ")
                for verb in _SWITCH_VERBS:
                    rest = rest.replace(verb, " ")
                if len(rest.split()) <= 2 and sum(1 for ch in rest if "\u4e00" <= ch <= "\u9fff") <= 3:
                    return lang
    return None


def chosen_option(text: str) -> int | None:
    """0 for "the first one", 1 for "the second one", else None."""
    t = normalise(text)
    if not t or not _short(t):
        return None
    for index, phrases in _ORDINALS.items():
        if any(p in t for p in phrases):
            return index
    return None


def command_phrases(lang: str) -> list[str]:
    """Every way of steering the conversation in `lang`, for the recogniser's hints."""
    phrases = list(_REPEAT.get(lang, ()))
    if lang == "en":
        phrases += ["english please", "speak english", "chinese please", "speak chinese", "mandarin please",
                    "can you speak chinese", "can you speak english", "the first one", "the second one"]
    else:
        phrases += ["说中文", "讲中文", "说英语", "说英文", "请说普通话", "第一个", "第二个"]
    return phrases
