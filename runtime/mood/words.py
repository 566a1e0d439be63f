"""Mood words, English and Mandarin (data and one pure lookup). A hit is a strong sign on its own;
no hit leaves the decision to the learned reader (runtime/mood/text_mood.py)."""

from __future__ import annotations

import re

from .labels import Mood

_F = re.IGNORECASE


def _any(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), _F)


# order matters: the first mood whose words are found wins
WORDS: tuple[tuple[Mood, re.Pattern], ...] = (
    (Mood.ANGER, _any(r"\b(?:stupid|idiot|dumb|useless|garbage|crap|rubbish|shut\s+up|damn|f+u+c+k\w*|shit\w*|"
                      r"piece\s+of\s+junk|waste\s+of)\b",
                      r"傻|蠢|笨蛋|智障|废物|垃圾|闭嘴|滚|破机器|去死|他妈|妈的|有病吧")),
    (Mood.FRUSTRATION, _any(r"\b(?:(?:third|fourth|fifth)\s+time|(?:three|four|five)\s+times|"
                            r"still\s+(?:wrong|not)|not\s+what\s+i\s+asked|forget\s+it|never\s*mind|annoying|"
                            r"ugh+|come\s+on|so\s+slow|doesn'?t\s+work|you\s+don'?t\s+understand|"
                            r"can'?t\s+you\s+understand|already\s+(?:asked|told|said))\b",
                            r"又(?:错|不对|答错)|(?:第[三四五]次|[三四五]遍)|还是(?:不对|错)|答非所问|算了|烦死|烦不烦|怎么还|听不懂|"
                            r"白说|说了半天|急死|没用")),
    (Mood.THANKS, _any(r"\b(?:thanks?|thank\s+you|cheers|appreciate|you'?re\s+(?:a\s+star|great|the\s+best)|"
                       r"perfect|lovely|brilliant|very\s+helpful|that\s+helps)\b",
                       r"谢谢|多谢|感谢|谢了|辛苦了|太好了|真棒|帮了大忙")),
    (Mood.DISTRESS, _any(r"\b(?:help\s+me|please\s+help|i'?m\s+(?:scared|frightened|terrified|panicking)|"
                         r"oh\s+god|oh\s+my\s+god|crying|i\s+don'?t\s+know\s+what\s+to\s+do)\b",
                         r"救命|怎么办啊|吓死|害怕|急哭|哭了|慌了|求求")),
    (Mood.URGENCY, _any(r"\b(?:quick(?:ly)?|hurry|right\s+now|immediately|asap|urgent(?:ly)?|fast|"
                        r"before\s+(?:it|the)\s+(?:closes|leaves|goes)|running\s+late|in\s+a\s+rush)\b",
                        r"快点|赶紧|马上|立刻|来不及|急用|快要|赶时间|着急")),
    (Mood.CONFUSION, _any(r"\b(?:i'?m\s+(?:not\s+sure|confused|lost)|don'?t\s+(?:understand|get\s+it)|"
                          r"what\s+do\s+you\s+mean|which\s+one|didn'?t\s+catch|say\s+(?:it|that)\s+again|"
                          r"is\s+(?:this|it)\s+(?:normal|real|a\s+scam)|should\s+i)\b",
                          r"不明白|没明白|没听清|不太懂|搞不懂|什么意思|哪个|是不是|正常吗|要不要|该不该")),
)


def mood_words(text: str) -> tuple[Mood, str] | None:
    """The first mood whose words are in `text`, and the words; None when there are none."""
    for mood, pattern in WORDS:
        hit = pattern.search(text)
        if hit:
            return mood, hit.group(0)
    return None
