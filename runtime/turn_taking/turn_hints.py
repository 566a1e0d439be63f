"""What the words so far say about the end of a visitor's turn. Pure.

A visitor who stops after "where is the…", "and also…", "can I borrow…", "um…" or "那个…" is
thinking, not done: the kiosk waits longer, even when the words so far already match a question
("what time does…" matches opening hours). Words that make a question the venue's content answers,
and end on a word a question can end on, end the turn after a short silence. Anything else gets the
ordinary silence. Only words the visitor said count: a recogniser that hears the silence after them
makes words up from the room ("…the cinema are on"); `said_words` drops them by their times.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from typing import Callable, Sequence

from runtime.asr.base import TimedWord


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
    i you we they he she please get find go
    borrow lost lose need want buy charge rent bring looking""".split())   # verbs that need their object
OPEN_PAIRS_EN = frozenset({"is there", "are there", "i am"})      # "uh, is there…" ends nowhere
CLOSED_PAIRS_EN = frozenset({"i'm lost", "am lost", "got lost", "get lost"})   # ...but "I'm lost" is done
MIN_FINAL_WORD_S = 0.15   # a word said last before a pause is drawn out (final lengthening): a
                          # shorter last "word" is one the language model filled in ("where can
                          # I" -> "where can i eat", "eat" 120 ms, measured) or the next one's start
# Mandarin: fillers and particles that leave a phrase open.
TRAILING_ZH = FILLERS_ZH + ("和", "跟", "的", "在", "去", "想", "要", "请问", "哪", "什么", "怎么", "是")
_WORD = re.compile(r"[a-z']+")


def trailing_hesitation(partial: str) -> bool:
    """Does `partial` stop on a word that leaves it open?"""
    text = unicodedata.normalize("NFKC", partial).strip().lower()
    if not text:
        return False
    words = _WORD.findall(text)
    last = text[-1]
    if words and text.endswith(words[-1]):
        pair = " ".join(words[-2:])
        return pair not in CLOSED_PAIRS_EN and (words[-1] in TRAILING_EN or pair in OPEN_PAIRS_EN)
    if "\u4e00" <= last <= "\u9fff" or last in "，,、…":
        stripped = text.rstrip("，,、… ")
        return text.endswith(("…", "，", ",", "、")) or stripped.endswith(TRAILING_ZH)
    return text.endswith(("...", "…", ","))


def said_words(words: Sequence[TimedWord], speech_end: float | None) -> str:
    """The words the visitor said before stopping at `speech_end` (s, on the words' time line):
    trailing words that begin after it are dropped, and a last word of meaning of which too little
    was said before it to be the last. Words with no times are all kept."""
    kept = list(words)
    while kept and kept[-1].start is not None and speech_end is not None and kept[-1].start >= speech_end:
        kept.pop()
    last = kept[-1] if kept else None
    if last is not None and last.start is not None and last.end is not None and not trailing_hesitation(last.word):
        # Only the part said before the voice stopped counts: a recogniser stretches its last word
        # over the silence after it, and makes one up there ("is there… wifi", 40 ms of it before
        # the pause, when the venue's phrases lean it that way: measured).
        said_until = last.end if speech_end is None else min(last.end, speech_end)
        if said_until - last.start < MIN_FINAL_WORD_S:
            kept.pop()    # (a short "is", "the", "a" is what was said: those are short anyway)
    return " ".join(w.word for w in kept)


_CAUTION = {EndHint.COMPLETE: 0, EndHint.NONE: 1, EndHint.HESITATING: 2}   # how long each waits


def steadier(previous: EndHint | None, current: EndHint) -> EndHint:
    """The hint to end on, given the one from the partial before (None: the first of this pause).
    A recogniser's partial flickers in a pause — "looking for" / "looking food" / "looking for
    that" as it weighs the venue's "food court" (measured) — so a hint that ends the turn sooner
    counts only once the partial before it said as much: the more cautious of the two wins."""
    if previous is None:
        return current
    return max(previous, current, key=_CAUTION.__getitem__)


def end_hint(partial: str, is_complete: Callable[[str], bool]) -> EndHint:
    """Stopping on a word that leaves the sentence open wins over completeness: "where is the
    cinema and…", "what time does…" (which already matches opening hours) and "can I borrow…" are
    not finished. Being cut off is worse than waiting a second longer."""
    if trailing_hesitation(partial):
        return EndHint.HESITATING
    if partial.strip() and is_complete(partial):
        return EndHint.COMPLETE
    return EndHint.NONE
