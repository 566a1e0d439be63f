"""What the words so far say about the end of a visitor's turn. Pure.

A visitor who stops after "where is the…", "and also…", "um…" or "那个…" is thinking, not done:
the kiosk waits longer. Words that already make a question the venue's content answers end the
turn after a short silence. Anything else gets the ordinary silence.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from typing import Callable


class EndHint(enum.Enum):
    NONE = "none"                # nothing known: the ordinary end silence
    COMPLETE = "complete"        # a question the content answers: the short one
    HESITATING = "hesitating"    # stopped on a filler or mid-phrase: the long one


# Fillers and conjunctions: whatever came before, the visitor is going on.
FILLERS_EN = frozenset("um umm uh uhh er erm hmm mm and or but also plus then so like".split())
FILLERS_ZH = ("嗯", "呃", "额", "那个", "这个", "就是", "然后", "还有")
# Words a finished English question does not end on: articles, prepositions, auxiliaries and
# question words that need what comes after them (a recogniser also tacks them on to a finished
# question, so a confident match of the whole still counts as complete).
TRAILING_EN = FILLERS_EN | frozenset("""the a an this that these those my your our their some any
    to of for from in on at by with about near into onto than as
    is are was were be am do does did can could would will should may might must
    where what when which who whose how why if whether
    i you we they he she please get find go""".split())
# Mandarin: fillers and particles that leave a phrase open.
TRAILING_ZH = FILLERS_ZH + ("和", "跟", "的", "在", "去", "想", "要", "请问", "哪", "什么", "怎么", "是")
_WORD = re.compile(r"[a-z']+")


def trailing_hesitation(partial: str, fillers_only: bool = False) -> bool:
    """Does `partial` stop on a word that leaves it open (with `fillers_only`: on a filler or a
    conjunction, which leave it open whatever came before)?"""
    text = unicodedata.normalize("NFKC", partial).strip().lower()
    if not text:
        return False
    en, zh = (FILLERS_EN, FILLERS_ZH) if fillers_only else (TRAILING_EN, TRAILING_ZH)
    words = _WORD.findall(text)
    last = text[-1]
    if words and text.endswith(words[-1]) and words[-1] in en:
        return True
    if "\u4e00" <= last <= "\u9fff" or last in "，,、…":
        stripped = text.rstrip("，,、… ")
        return text.endswith(("…", "，", ",", "、")) or stripped.endswith(zh)
    return text.endswith(("...", "…", ","))


def end_hint(partial: str, is_complete: Callable[[str], bool]) -> EndHint:
    """A filler or conjunction at the end wins over completeness ("where is the cinema and…" is not
    finished); a question the content answers wins over a trailing article or preposition (the
    recogniser tacks those on); otherwise a trailing open word means hesitating."""
    if trailing_hesitation(partial, fillers_only=True):
        return EndHint.HESITATING
    if partial.strip() and is_complete(partial):
        return EndHint.COMPLETE
    if trailing_hesitation(partial):
        return EndHint.HESITATING
    return EndHint.NONE
