"""Which pieces of an answer can be kept, and how an answer to speak is made of kept and live pieces.
Pure: texts in, texts out.

A voice speaks an answer piece by piece (`split_for_speech`), so the cache keeps pieces: a kept piece
is the very audio the voice would give for that piece inside its answer. An answer whose text holds
a schedule placeholder ({closes_at}) cannot be kept whole: each sentence with a placeholder keeps its
words before the first placeholder as a *head* (cached), and the rest of that sentence is spoken
live when asked ("Yes, we are open until" + "5 pm today.").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from ..clauses import split_for_speech, spoken_length

_PLACEHOLDER = re.compile(r"\{[A-Za-z_]*\}")
MIN_HEAD_UNITS = 10   # spoken length (Latin letters); a shorter head is not worth a break in the sentence


@dataclass(frozen=True)
class Keepable:
    """What to prepare for one answer template: pieces kept whole, and heads of live sentences."""
    pieces: tuple[str, ...]
    heads: tuple[str, ...]


@dataclass(frozen=True)
class Part:
    """One part of an answer to speak: from the cache, or synthesised now."""
    text: str
    cached: bool


def keepable(template: str) -> Keepable:
    """The pieces of `template` (cues already stripped, placeholders still in it) that are the same
    whenever it is said, and the heads of the pieces that are not."""
    pieces, heads = [], []
    for piece in split_for_speech(template):
        mark = _PLACEHOLDER.search(piece)
        if mark is None:
            pieces.append(piece)
            continue
        head = piece[:mark.start()].rstrip()
        if spoken_length(head) >= MIN_HEAD_UNITS:
            heads.append(head)
    return Keepable(tuple(dict.fromkeys(pieces)), tuple(dict.fromkeys(heads)))


def plan(text: str, has: Callable[[str], bool], heads: Iterable[str]) -> list[Part]:
    """`text` (filled, as it will be said) as parts: each piece cached when `has(piece)`, else split
    after the longest cached head it starts with (at a word boundary), else live."""
    ordered = sorted(heads, key=len, reverse=True)
    parts: list[Part] = []
    for piece in split_for_speech(text):
        if has(piece):
            parts.append(Part(piece, True))
            continue
        head = next((h for h in ordered if _starts_with(piece, h) and has(h)), None)
        if head is None:
            parts.append(Part(piece, False))
        else:
            parts += [Part(head, True), Part(piece[len(head):].strip(), False)]
    return parts


def _starts_with(piece: str, head: str) -> bool:
    return len(piece) > len(head) and piece.startswith(head) and (piece[len(head)].isspace() or not head.isascii())
