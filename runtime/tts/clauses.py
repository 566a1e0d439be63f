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
FIRST_CLAUSE_MIN_CHARS = 12  # a first sentence shorter than this is not split


def split_for_speech(text: str) -> list[str]:
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    if not sentences:
        return []
    first = sentences[0]
    if len(first) >= 2 * FIRST_CLAUSE_MIN_CHARS:
        for brk in _CLAUSE_BREAK.finditer(first):
            head, rest = first[:brk.end()].strip(), first[brk.end():].strip()
            if len(head) >= FIRST_CLAUSE_MIN_CHARS // 2 and rest:
                return [head, rest] + sentences[1:]
    return sentences
