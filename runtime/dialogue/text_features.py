"""Text normalisation and n-gram features for Mandarin (no spaces) and English."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NOT_WORD = re.compile(r"[^\w\u3400-\u4dbf\u4e00-\u9fff]+")
# Words that carry the question's form, not its topic: they count, but little.
_EN_FUNCTION_WORDS = frozenset(
    "a an the is are am be do does did can could i you we my me your our it to of in on at for "
    "there here what where when how which who is please any some this that and or if".split())
_ZH_FUNCTION_CHARS = frozenset("吗呢吧啊呀的了是有在我你您们哪里么请问个这那就也都要想去")
_FUNCTION_WEIGHT = 0.25


def detect_language(text: str) -> str:
    """'zh' when the text is mostly Han characters, else 'en'."""
    han = len(_CJK.findall(text))
    letters = len(re.findall(r"[A-Za-z]", text))
    return "zh" if han and han >= letters / 4 else "en"


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), lower case, punctuation to spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def features(text: str, lang: str) -> Counter[str]:
    """Weighted n-grams. zh: character 1-3 grams; en: words, word pairs, char 3-grams."""
    text = normalise(text)
    grams: Counter[str] = Counter()
    if lang == "zh":
        # Latin words inside Chinese (WiFi, ATM) count as one token each.
        tokens = re.findall(r"[a-z0-9]+|[^\sa-z0-9]", text)
        for n, weight in ((1, 1.0), (2, 1.5), (3, 1.0)):
            for i in range(len(tokens) - n + 1):
                piece = tokens[i:i + n]
                light = all(t in _ZH_FUNCTION_CHARS for t in piece)
                grams["c:" + "".join(piece)] += weight * (_FUNCTION_WEIGHT if light else 1.0)
        return grams
    words = text.split()
    for w in words:
        light = w in _EN_FUNCTION_WORDS
        grams["w:" + w] += _FUNCTION_WEIGHT if light else 1.0
        if light:
            continue
        padded = f"<{w}>"
        for i in range(len(padded) - 2):
            grams["t:" + padded[i:i + 3]] += 0.3
    for a, b in zip(words, words[1:]):
        light = a in _EN_FUNCTION_WORDS and b in _EN_FUNCTION_WORDS
        grams["b:" + a + "_" + b] += 0.7 * (_FUNCTION_WEIGHT if light else 1.0)
    return grams
