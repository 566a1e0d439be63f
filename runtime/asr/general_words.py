"""The general English model's most frequent words, for the venue language model, kept on disk.

pocketsphinx's venue model (`phrase_hints.venue_arpa`) mixes the venue's phrases with the general
model's `count` most frequent words, so every common word stays speakable. Finding them means loading
the general model a second time and scoring all 134 000 words of the dictionary: ~0.5 s and ~25 MB
that the process kept afterwards (measured: the recogniser with its venue model 155 MB, 130 MB when
the list is read from disk). They depend only on the two files, so they are worked out once and kept
in the model cache beside the joined models, named after the files' size and modification time and
the count; a cache that cannot be written only costs the work again.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
from pathlib import Path

_LOGGER = logging.getLogger(__name__)


def general_unigrams(lm_path: str, dict_path: str, count: int, cache: Path) -> dict[str, float]:
    """word -> log10 probability in the general model, for its `count` most likely dictionary words."""
    kept = cache / f"general-unigrams-{_key(lm_path, dict_path, count)}.tsv"
    try:
        return _read(kept)
    except (OSError, ValueError):
        pass
    unigrams = _score(lm_path, dict_path, count)
    try:
        _write(kept, unigrams)
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
    unigrams = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, logprob = line.split("\t")
        unigrams[word] = float(logprob)
    if not unigrams:
        raise ValueError(f"{path}: empty")
    return unigrams


def _write(path: Path, unigrams: dict[str, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("".join(f"{w}\t{p!r}\n" for w, p in unigrams.items()))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
