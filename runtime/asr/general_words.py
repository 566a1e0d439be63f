"""The general English model's words, worked out once and kept on disk: its most frequent words for
the venue language model, and the pronunciation dictionary cut to the words it has.

pocketsphinx's venue model (`phrase_hints.venue_arpa`) mixes the venue's phrases with the general
model's `count` most frequent words, so every common word stays speakable. Finding them means loading
the general model a second time and scoring all 134 000 words of the dictionary: 0.5-0.7 s of every
start (the venue model is built in 0.33 s instead of 0.8-1.0 s without it; the kiosk's peak memory did
not move, docs/speaking.md). They depend only on the two files, so they are worked out once and kept
in the model cache beside the joined models (JSON), named after the files' size and modification time
and the count; a cache that cannot be written or read only costs the work again.

The dictionary has 134 000 pronunciations, the general model 72 500 of its words: a decoder sizes
its word tables by the dictionary, for each of its two searches, though a word no language model has
is never heard. Decoding with the cut dictionary (plus the venue's own words the general model lacks)
hears the same words in 26 MB less (docs/speaking.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

from runtime.shared.cache_child import run_module
from runtime.shared.cache_copies import remove_partial_writes
from runtime.shared.durable_files import write_json_atomic, write_text_atomic

_LOGGER = logging.getLogger(__name__)
CHILD_TIMEOUT_S = 120   # ~1 s here; a slow board's SD card, longer


def make_kept(lm_path: str, dict_path: str, count: int, cache: Path) -> None:
    """Work out what is not kept yet (`general_unigrams`, `general_dictionary`) in a child process: it
    loads the general model a second time, which the kiosk's heap would otherwise keep (+26 MB in the
    recogniser's stage). A child that fails leaves the work to those two, in this process (logged)."""
    kept = (_unigrams_file(lm_path, dict_path, count, cache), _dictionary_file(lm_path, dict_path, cache))
    if all(path.is_file() for path in kept):
        return
    code, last = run_module("runtime.asr.general_words", lm_path, dict_path, str(count), str(cache),
                            timeout_s=CHILD_TIMEOUT_S)
    for path in kept:               # what a child killed at its time limit was still writing
        remove_partial_writes(path)
    if code != 0:
        _LOGGER.info("pocketsphinx: the general words were not worked out in a child (%s); worked out here", last)


def general_unigrams(lm_path: str, dict_path: str, count: int, cache: Path) -> dict[str, float]:
    """word -> log10 probability in the general model, for its `count` most likely dictionary words."""
    kept = _unigrams_file(lm_path, dict_path, count, cache)
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
    return set(pronunciations(dict_path, words))


def pronunciations(dict_path: str, words: set[str]) -> dict[str, list[str]]:
    """Each of `words` the dictionary has -> its lines there (every pronunciation: "for", "for(2)")."""
    found: dict[str, list[str]] = {}
    with open(dict_path, encoding="utf-8") as fh:
        for line in fh:
            word = _headword(line)
            if word in words:
                found.setdefault(word, []).append(line if line.endswith("\n") else line + "\n")
    return found


def decoding_dictionary(lm_path: str, dict_path: str, venue_words: set[str],
                        cache: Path) -> tuple[str, Path | None, set[str]]:
    """(the dictionary to decode with, a temporary file to delete once the decoder is loaded or None,
    the `venue_words` the full dictionary can say). The dictionary is the general model's words
    (`general_dictionary`) and, only if some are missing there, the venue's own words added in a
    temporary copy."""
    venue = pronunciations(dict_path, venue_words)
    general = general_dictionary(lm_path, dict_path, cache)
    missing = set(venue) - dictionary_has(general, set(venue)) if general != dict_path else set()
    if not missing:
        return general, None, set(venue)
    fd, name = tempfile.mkstemp(prefix="edge-avatar-venue-", suffix=".dict")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out, open(general, encoding="utf-8") as fh:
            shutil.copyfileobj(fh, out)
            out.writelines(line for word in sorted(missing) for line in venue[word])
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return name, Path(name), set(venue)


def general_dictionary(lm_path: str, dict_path: str, cache: Path) -> str:
    """The pronunciation dictionary cut to the words the general model has, kept in `cache`; the
    full `dict_path` if the cut one cannot be kept."""
    kept = _dictionary_file(lm_path, dict_path, cache)
    if kept.is_file() and kept.stat().st_size > 0:
        return str(kept)
    said = _model_words(lm_path, dict_path)
    with open(dict_path, encoding="utf-8") as fh:
        text = "".join(line for line in fh if _headword(line) in said)
    try:
        write_text_atomic(kept, text)
    except OSError as err:
        _LOGGER.info("pocketsphinx: the cut dictionary is not kept (%s); decoding with the full one", err)
        return dict_path
    return str(kept)


def _unigrams_file(lm_path: str, dict_path: str, count: int, cache: Path) -> Path:
    return cache / f"general-unigrams-{_key(lm_path, dict_path, count)}.json"


def _dictionary_file(lm_path: str, dict_path: str, cache: Path) -> Path:
    return cache / f"general-dict-{_key(lm_path, dict_path, 'dictionary')}.dict"


def _headword(line: str) -> str:
    """"for(2) F R" -> "for"."""
    return line.split(" ", 1)[0].split("(", 1)[0]


def _model_words(lm_path: str, dict_path: str) -> set[str]:
    """The dictionary's words the language model has (an unknown word scores log zero)."""
    from pocketsphinx import Config, LogMath, NGramModel
    lm = NGramModel(Config(), LogMath(), lm_path)
    unknown = lm.prob(["edge-avatar-no-such-word"])
    with open(dict_path, encoding="utf-8") as fh:
        words = {_headword(line) for line in fh}
    return {w for w in words if w and lm.prob([w]) != unknown}


def _key(lm_path: str, dict_path: str, what: int | str) -> str:
    stats = [(str(Path(p).resolve()), os.stat(p).st_size, os.stat(p).st_mtime_ns) for p in (lm_path, dict_path)]
    return hashlib.sha256(repr((stats, what)).encode()).hexdigest()[:16]


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


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: python -m runtime.asr.general_words LM DICTIONARY COUNT CACHE_FOLDER")
    general_unigrams(sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
    general_dictionary(sys.argv[1], sys.argv[2], Path(sys.argv[4]))
