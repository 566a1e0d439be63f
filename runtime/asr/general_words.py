"""The general English model's most frequent words, for the venue language model, kept on disk.

pocketsphinx's venue model (`phrase_hints.venue_arpa`) mixes the venue's phrases with the general
model's `count` most frequent words, so every common word stays speakable. Finding them means loading
the general model a second time and scoring all 134 000 words of the dictionary: 0.5-0.7 s of every
start (the venue model is built in 0.33 s instead of 0.8-1.0 s without it; the kiosk's peak memory did
not move, docs/speaking.md). They depend only on the two files, so they are worked out once and kept
in the model cache beside the joined models (JSON), named after the files' size and modification time
and the count; a cache that cannot be written or read only costs the work again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from pathlib import Path

from runtime.shared.durable_files import write_json_atomic

_LOGGER = logging.getLogger(__name__)


def general_unigrams(lm_path: str, dict_path: str, count: int, cache: Path) -> dict[str, float]:
    """word -> log10 probability in the general model, for its `count` most likely dictionary words."""
    kept = cache / f"general-unigrams-{_key(lm_path, dict_path, count)}.json"
    try:
        return _read(kept)
    except (OSError, ValueError):
        pass
    unigrams = _score(lm_path, dict_path, count)
    try:
        write_json_atomic(kept, unigrams)
    except OSError as err:
        _LOGGER.info("pocketsphinx: the general words are not kept (%s); worked out again next start", err)
    return unigrams


def dictionary_has(dict_path: str, words: set[str]) -> set[str]:
    """The `words` the pronunciation dictionary has (one pass over the file, nothing else kept)."""
    found = set()
    with open(dict_path, encoding="utf-8") as fh:
        for line in fh:
            word = line.split(" ", 1)[0]
            if word in words:
                found.add(word)
    return found


def _key(lm_path: str, dict_path: str, count: int) -> str:
    stats = [(str(Path(p).resolve()), os.stat(p).st_size, os.stat(p).st_mtime_ns) for p in (lm_path, dict_path)]
    return hashlib.sha256(repr((stats, count)).encode()).hexdigest()[:16]


def _score(lm_path: str, dict_path: str, count: int) -> dict[str, float]:
    from pocketsphinx import Config, LogMath, NGramModel
    words = set()
    with open(dict_path, encoding="utf-8") as fh:
        for line in fh:
            word = line.split(" ", 1)[0]
            if word and "(" not in word:
                words.add(word)
    lm = NGramModel(Config(), LogMath(), lm_path)
    to_log10 = math.log10(1.0001)   # pocketsphinx's log base
    scored = sorted(((lm.prob([w]) * to_log10, w) for w in words), reverse=True)[:count]
    return {w: p for p, w in scored}


def _read(path: Path) -> dict[str, float]:
    unigrams = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(unigrams, dict) or not unigrams:
        raise ValueError(f"{path}: not a table of words")
    return unigrams
