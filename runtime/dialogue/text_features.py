"""Text normalisation and n-gram features for Mandarin (no spaces) and English."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Iterable

SYLLABLE_TABLE = Path(__file__).parent / "lexicon" / "hanzi_syllables.txt"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NOT_WORD = re.compile(r"[^\w\u3400-\u4dbf\u4e00-\u9fff']+")
# Words that carry the question's form, not its topic: they count, but little.
_EN_FUNCTION_WORDS = frozenset(
    "a an the is are am be do doe does did can could i you we my me your our it to of in on at for "
    "there here what where when how which who is please any some this that and or if there's "
    "where's what's i'm it's get go want need would like should".split())
_ZH_FUNCTION_CHARS = frozenset("吗呢吧啊呀的了是有在我你您们哪里么请问个这那就也都要想去")
_FUNCTION_WEIGHT = 0.25
# Chosen on the dev set and the pack examples (bench/dialogue.py --set mall-dev.yaml).
CONCEPT_WEIGHT = {"en": 3.0, "zh": 4.0}


_ZH_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")


@functools.lru_cache(maxsize=1)
def syllable_groups() -> dict[str, tuple[str, str]]:
    """Toneless pinyin -> (its common characters, GB2312 level 1; its rarer ones, level 2)."""
    groups = {}
    for line in SYLLABLE_TABLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            sound, chars = line.split(" ", 1)
            common, _, rare = chars.partition("|")
            groups[sound] = (common, rare)
    return groups


@functools.lru_cache(maxsize=1)
def syllable_table() -> dict[str, str]:
    """Han character -> toneless pinyin, for GB2312's 6 763 characters (distilled from pypinyin)."""
    return {ch: sound for sound, (common, rare) in syllable_groups().items() for ch in common + rare}


def syllable(token: str) -> str:
    """A Han character's toneless pinyin; any other token (or a rare character) as it is."""
    return syllable_table().get(token, token)


def detect_language(text: str) -> str:
    """'zh' when the text is mostly Han characters, else 'en'."""
    han = len(_CJK.findall(text))
    letters = len(re.findall(r"[A-Za-z]", text))
    return "zh" if han and han >= letters / 4 else "en"


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), lower case, punctuation to spaces, curly quotes straight."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    return " ".join(_NOT_WORD.sub(" ", text).split())


def stem(word: str) -> str:
    """A light English stemmer: enough that toilets/toilet and charging/charge meet."""
    w = word[:-2] if word.endswith("'s") else word.replace("'", "")
    if len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    cut = False
    if w.endswith("ing") and len(w) > 5:
        w, cut = w[:-3], True
    elif w.endswith("ed") and len(w) > 4:
        w, cut = w[:-2], True
    if cut and len(w) > 2 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    if w.endswith("y") and len(w) > 3:
        w = w[:-1] + "i"
    return w


def word_tokens(normalised: str, lang: str) -> list[str]:
    """zh: one token per Han character, Latin words and numbers whole; en: stemmed words."""
    if lang == "zh":
        return re.findall(r"[a-z0-9]+|[^\sa-z0-9']", normalised)
    return [stem(w) for w in normalised.split()]


def features(text: str, lang: str, concepts: Iterable[str] = ()) -> Counter[str]:
    """Weighted n-grams. zh: character 1-3 grams; en: words, word pairs, char 3-grams; plus concepts."""
    text = normalise(text)
    grams: Counter[str] = Counter()
    for concept in concepts:
        grams["k:" + concept] += CONCEPT_WEIGHT[lang]
    if lang == "zh":
        # Latin words inside Chinese (WiFi, ATM) count as one token each; 3楼 and 三楼 meet.
        text = text.translate(_ZH_DIGITS)
        tokens = word_tokens(text, lang)
        for n, weight in ((1, 1.0), (2, 1.5), (3, 1.0)):
            for i in range(len(tokens) - n + 1):
                piece = tokens[i:i + n]
                light = all(t in _ZH_FUNCTION_CHARS for t in piece)
                grams["c:" + "".join(piece)] += weight * (_FUNCTION_WEIGHT if light else 1.0)
        return grams
    raw = text.split()
    words = [stem(w) for w in raw]
    for w, original in zip(words, raw):
        light = original in _EN_FUNCTION_WORDS or w in _EN_FUNCTION_WORDS
        grams["w:" + w] += _FUNCTION_WEIGHT if light else 1.0
        if light:
            continue
        padded = f"<{original}>"
        for i in range(len(padded) - 2):
            grams["t:" + padded[i:i + 3]] += 0.3
    for a, b in zip(words, words[1:]):
        light = a in _EN_FUNCTION_WORDS and b in _EN_FUNCTION_WORDS
        grams["b:" + a + "_" + b] += 0.7 * (_FUNCTION_WEIGHT if light else 1.0)
    return grams
