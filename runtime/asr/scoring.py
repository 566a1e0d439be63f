"""Word (and character) error rate: the one measure of recognition quality used by tests and benchmarks."""

from __future__ import annotations

import re
from typing import Sequence


def normalise_words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def edit_distance(ref: Sequence, hyp: Sequence) -> int:
    """Levenshtein distance between two sequences (words, or characters for Mandarin)."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[len(hyp)]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, number of reference words)."""
    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    return edit_distance(ref, hyp), len(ref)


def wer(pairs: list[tuple[str, str]]) -> float:
    errors = total = 0
    for reference, hypothesis in pairs:
        e, n = word_errors(reference, hypothesis)
        errors += e
        total += n
    return errors / max(1, total)
