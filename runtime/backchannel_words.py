"""Are the words heard over the avatar only a backchannel, or do they interrupt it? Pure.

A visitor who says "uh-huh", "okay", "嗯", "对对" while the avatar talks is listening, not
interrupting; "no", "wait", "where is…" is an interruption even if it is short. Words the avatar
itself was saying do not count: at a loud speaker the room still rings with them after it paused,
and the recogniser hears that (measured: one false barge-in in 100 answers at 0 dB without this).
"""

from __future__ import annotations

import re
import unicodedata

BACKCHANNEL_EN = frozenset("""mm mmm mhm hm hmm uh huh um uhm ah oh aha ok okay yeah yes yep yup right sure
    i see cool great nice wow thanks thank you alright all good got it""".split())
BACKCHANNEL_ZH = ("嗯", "哦", "噢", "喔", "啊", "呃", "对", "好", "是", "行", "明白", "了解", "知道", "谢谢", "的")
_WORD = re.compile(r"[a-z']+")


def _en_words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def _zh_chars(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if "\u4e00" <= ch <= "\u9fff")


def interrupting_words(heard: str, avatar_text: str = "") -> list[str]:
    """The words of `heard` that are neither a backchannel nor the avatar's own words (for
    Mandarin: the characters left)."""
    own, own_zh = set(_en_words(avatar_text)), _zh_chars(avatar_text)
    words = [w for w in _en_words(heard) if w not in BACKCHANNEL_EN and w not in own]
    zh = _zh_chars(heard)
    for token in BACKCHANNEL_ZH:
        zh = zh.replace(token, "")
    return words + [ch for ch in zh if ch not in own_zh]
