"""Are the words heard over the avatar only a backchannel, or do they interrupt it? Pure.

A visitor who says "uh-huh", "okay", "嗯", "对对" while the avatar talks is listening, not
interrupting; "no", "wait", "where is the exit" is an interruption even if it is short. Words the
avatar itself was saying do not count: at a loud speaker the room still rings with them after it
paused, and the recogniser hears that (measured: one false barge-in in 100 answers at 0 dB without
this). A recogniser makes words of a hum: pocketsphinx heard "mhm" as "an atm", "mm" as "an man",
"uh-huh" as "i how" (bench/turn_taking.py) — so a short sound interrupts only with a cue word
("no", "wait", "sorry", "不", "等一下"…) or at least two words that carry meaning. (The kiosk also
lets two or more words that make a question its venue answers interrupt: `BargeInControl.asks`.)
"""

from __future__ import annotations

import re
import unicodedata

BACKCHANNEL_EN = frozenset("""mm mmm mhm hm hmm uh huh um uhm ah oh aha ok okay yeah yes yep yup right sure
    i see cool great nice wow thanks thank you alright all good got it""".split())
BACKCHANNEL_ZH = ("嗯", "哦", "噢", "喔", "啊", "呃", "对", "好", "是", "行", "明白", "了解", "知道", "谢谢", "的")
# Words that stop someone talking, whatever follows ("know": the recogniser's spelling of "no").
# Not "hey": pocketsphinx's spelling of "okay" over the avatar (bench/turn_taking.py).
CUES_EN = frozenset("no nope know wait stop sorry excuse pardon actually hold hang hello help".split())
CUES_ZH = ("不", "等", "停", "别", "喂", "请问", "对不起", "不好意思")
# Words that carry no meaning alone: a stray one is what a recogniser makes of a hum.
FUNCTION_EN = frozenset("""a an the this that i you he she it we they me my your is are was be am do does
    can could will would to of for in on at by with and or but so how what where when who why which
    there here""".split())
MIN_CONTENT_WORDS = 2
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


def interrupts(heard: str, avatar_text: str = "") -> bool:
    """Do the words heard over the avatar (a short sound) say the visitor is interrupting it?"""
    left = interrupting_words(heard, avatar_text)
    en = [w for w in left if w.isascii()]
    zh = "".join(w for w in left if not w.isascii())
    if any(w in CUES_EN for w in en) or any(cue in _zh_chars(heard) for cue in CUES_ZH):
        return True
    return len([w for w in en if w not in FUNCTION_EN]) + len(zh) >= MIN_CONTENT_WORDS
