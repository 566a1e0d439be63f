"""Split an answer into the pieces synthesised one at a time (pure).

Sentences are synthesised whole for natural prosody, except the first: when it
is long, its first clause goes alone, so the visitor hears the answer start
sooner than a whole-sentence engine could deliver it.
"""

from __future__ import annotations

import re

# Latin punctuation ends a sentence only before white space ("10.5", "10:30" stay whole).
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？；])\s*")
_CLAUSE_BREAK = re.compile(r"[,:;](?=\s)|[，、：]")
FIRST_CLAUSE_MIN_CHARS = 12  # in Latin-letter units; a first sentence under twice this is not split
_HAN = re.compile(r"[\u3400-\u9fff]")
HAN_WEIGHT = 3.5  # one Han character takes about as long to say as 3-4 Latin letters


def spoken_length(text: str) -> float:
    """Length in Latin-letter units, so Mandarin and English split alike."""
    han = len(_HAN.findall(text))
    return len(text) - han + HAN_WEIGHT * han


def split_for_speech(text: str) -> list[str]:
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    if not sentences:
        return []
    first = sentences[0]
    if spoken_length(first) >= 2 * FIRST_CLAUSE_MIN_CHARS:
        for brk in _CLAUSE_BREAK.finditer(first):
            head, rest = first[:brk.end()].strip(), first[brk.end():].strip()
            if spoken_length(head) >= FIRST_CLAUSE_MIN_CHARS // 2 and rest:
                return [head, rest] + sentences[1:]
    return sentences


def shorter_clauses(sentence: str, max_units: float) -> list[str]:
    """A sentence longer than `max_units` (spoken length) cut at its clause breaks, neighbouring
    clauses joined again while they fit: for an engine whose working memory and first-audio delay
    grow with the length of what it is given (Kokoro). A clause with no break in it stays whole."""
    if spoken_length(sentence) <= max_units:
        return [sentence]
    parts, start = [], 0
    for brk in _CLAUSE_BREAK.finditer(sentence):
        parts.append(sentence[start:brk.end()])
        start = brk.end()
    parts.append(sentence[start:])
    joined: list[str] = []
    for part in parts:
        if joined and spoken_length(joined[-1] + part) <= max_units:
            joined[-1] += part
        else:
            joined.append(part)
    return [p.strip() for p in joined if p.strip()]
