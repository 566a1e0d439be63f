"""The Mandarin front end's dictionaries as memory-mapped tables, made once, so the kiosk does not hold them.

jieba keeps its 349 000-word dictionary as Python dicts: the segmenter's word frequencies with every
word's prefixes (`jieba.dt.FREQ`, 498 000 keys, +66 MB resident) and the part-of-speech tagger's tags
(`jieba.posseg.dt.word_tag_tab`, +48 MB with its import); pypinyin its 47 000 phrases' readings and
their prefixes (+42 MB). The Mandarin voice reads a few dozen entries per clause. Here each is written
once, by a child process that loads the package as usual (`python -m runtime.tts.zh_word_table
jieba|pypinyin DST`), into a table (`runtime/shared/mapped_table.py`) in the voice cache

    <voice cache>/jieba-words-<version, dictionary size, mtime>.table
    <voice cache>/pypinyin-phrases-<version, dictionary size, mtime>.table

and the kiosk maps those files and hands the packages read-only views of them (`install_jieba`,
`import_pypinyin`): the same value for every key, so the same words, tags and readings (checked on
every Mandarin line of the packs, docs/speaking.md). A table that cannot be made (read-only cache, the
child fails, a pypinyin other than the one checked) leaves the package to load its own, at that
memory cost, with a warning that says so.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import struct
import sys
from pathlib import Path
from typing import Callable, Iterator, Mapping

from runtime.shared.cache_child import run_module
from runtime.shared.cache_copies import remove_older_copies
from runtime.shared.durable_files import make_dirs
from runtime.shared.mapped_table import MappedTable, write_mapped_table

JIEBA, PYPINYIN = b"EAJIEBA2", b"EAPINYI1"
CHILD_TIMEOUT_S = 300
PYPINYIN_CHECKED = "0.55.0"     # whose module layout `import_pypinyin` hands the table to
_FREQ = struct.Struct("<I")
_PYPINYIN_USERS = ("pypinyin.constants", "pypinyin.converter", "pypinyin.core", "pypinyin.seg.simpleseg",
                   "pypinyin.seg.mmseg")


class _View(Mapping):
    """A read-only dict over a table: `decode(value bytes)` is the value, None when the key has none."""

    def __init__(self, table: MappedTable, decode: Callable[[bytes], object]):
        self._table, self._decode = table, decode

    def _value(self, key: object):
        index = self._table.find(key) if isinstance(key, str) else -1
        return None if index < 0 else self._decode(self._table.value(index))

    def __getitem__(self, key: str):
        value = self._value(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return self._value(key) is not None

    def __iter__(self) -> Iterator[str]:
        keys = (self._table.key(i).decode("utf-8") for i in range(self._table.count))
        return (k for k in keys if self._value(k) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:
        return self._table.count > 0

    def __setitem__(self, key, value):
        raise TypeError(f"{self._table.path}: a mapped dictionary is read-only (runtime/tts/zh_word_table.py)")


class _Prefixes:
    """pypinyin's prefix set: every prefix of every phrase."""

    def __init__(self, table: MappedTable):
        self._table = table

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(key) and self._table.has_prefix(key)

    def train(self, words) -> None:
        raise TypeError(f"{self._table.path}: a mapped dictionary is read-only (runtime/tts/zh_word_table.py)")


def jieba_views(table: MappedTable) -> tuple[Mapping[str, int], Mapping[str, str]]:
    """(jieba's FREQ, the tagger's word_tag_tab) over a jieba table."""
    return (_View(table, lambda v: _FREQ.unpack_from(v)[0]),
            _View(table, lambda v: v[_FREQ.size:].decode("utf-8") or None))


def phrases_view(table: MappedTable) -> Mapping[str, list[list[str]]]:
    """pypinyin's PHRASES_DICT over a pypinyin table: each character's readings."""
    return _View(table, lambda v: [reading.split(",") for reading in v.decode("utf-8").split(";")])


# -- making the tables (in a child) -------------------------------------------------------------------------

def table_path(kind: str, cache: Path) -> Path:
    """Where the table of the installed package and its dictionary is kept (its name changes with them)."""
    package, data, magic = _KINDS[kind]
    stat = Path(importlib.util.find_spec(package).origin).with_name(data).stat()
    version = importlib.metadata.version(package)
    return cache / f"{kind}-{version}-{stat.st_size}-{stat.st_mtime_ns}-{magic[-1:].decode()}.table"


def word_table(kind: str, cache: Path) -> tuple[Path | None, str]:
    """(the table file, how it was found) — or (None, why not) when none can be made here."""
    try:
        path = table_path(kind, cache)
        if path.is_file():
            return path, "cached"
        make_dirs(path.parent)
    except (OSError, AttributeError, importlib.metadata.PackageNotFoundError) as err:
        return None, f"the {kind} table could not be made ({err})"
    code, last = run_module("runtime.tts.zh_word_table", kind, str(path), timeout_s=CHILD_TIMEOUT_S)
    if code != 0 or not path.is_file():
        return None, f"the {kind} table could not be made ({'' if code is None else f'exit {code}: '}{last})"
    remove_older_copies(path, rf"{re.escape(kind)}-.+\.table")     # the table of the package before an update
    return path, "made now"


def _write_jieba(path: Path) -> None:
    import logging

    import jieba
    jieba.setLogLevel(logging.WARNING)
    frequencies, total = jieba.Tokenizer.gen_pfdict(jieba.dt.get_dict_file())
    import jieba.posseg
    tags = jieba.posseg.dt.word_tag_tab
    items = ((w, _FREQ.pack(frequencies.get(w, 0)) + tags.get(w, "").encode("utf-8"))
             for w in set(frequencies) | set(tags))
    write_mapped_table(path, JIEBA, items, {"total": total})


def _write_pypinyin(path: Path) -> None:
    from pypinyin.phrases_dict import phrases_dict
    if any(";" in r or "," in r for readings in phrases_dict.values() for char in readings for r in char):
        raise ValueError("pypinyin: a reading with ';' or ',' in it: the table cannot hold it")
    items = ((phrase, ";".join(",".join(char) for char in readings).encode("utf-8"))
             for phrase, readings in phrases_dict.items())
    write_mapped_table(path, PYPINYIN, items, {})


_KINDS = {"jieba-words": ("jieba", "dict.txt", JIEBA), "pypinyin-phrases": ("pypinyin", "phrases_dict.json", PYPINYIN)}
_WRITERS = {"jieba-words": _write_jieba, "pypinyin-phrases": _write_pypinyin}


# -- handing them to the packages -------------------------------------------------------------------------

def install_jieba(path: Path) -> None:
    """Hand jieba (segmenter and part-of-speech tagger) the mapped table instead of its own dicts.
    Call before anything cuts text; `jieba.posseg` is imported here without loading its tags."""
    import jieba
    table = MappedTable(path, JIEBA)
    frequencies, tags = jieba_views(table)
    with jieba.dt.lock:
        jieba.dt.FREQ, jieba.dt.total, jieba.dt.initialized = frequencies, table.meta["total"], True
    if "jieba.posseg" not in sys.modules:
        jieba.dt.get_dict_file = lambda: open(os.devnull, "rb")   # its import would read all the tags
        try:
            import jieba.posseg
        finally:
            del jieba.dt.get_dict_file
    import jieba.posseg
    jieba.posseg.dt.word_tag_tab = tags


def pypinyin_mapped() -> bool:
    """Has `import_pypinyin` handed pypinyin a table in this process already?"""
    constants = sys.modules.get("pypinyin.constants")
    return constants is not None and isinstance(getattr(constants, "PHRASES_DICT", None), _View)


def import_pypinyin(path: Path) -> bool:
    """Import pypinyin with the mapped phrases instead of its own (True), if it is not imported yet and
    is the version whose layout this was checked on; else import it as it is (False)."""
    if "pypinyin" in sys.modules or importlib.metadata.version("pypinyin") != PYPINYIN_CHECKED:
        import pypinyin  # noqa: F401
        return False
    table = MappedTable(path, PYPINYIN)
    before = os.environ.get("PYPINYIN_NO_PHRASES")
    os.environ["PYPINYIN_NO_PHRASES"] = "1"        # its import then skips phrases_dict.json
    try:
        import pypinyin.seg.mmseg
        import pypinyin.seg.simpleseg  # noqa: F401
    finally:
        if before is None:
            del os.environ["PYPINYIN_NO_PHRASES"]
        else:
            os.environ["PYPINYIN_NO_PHRASES"] = before
    phrases = phrases_view(table)
    for name in _PYPINYIN_USERS:
        sys.modules[name].PHRASES_DICT = phrases
    pypinyin.seg.mmseg.p_set = pypinyin.seg.mmseg.seg._prefix_set = _Prefixes(table)
    return True


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in _WRITERS:
        sys.exit(f"usage: python -m runtime.tts.zh_word_table {'|'.join(_WRITERS)} TARGET")
    _WRITERS[sys.argv[1]](Path(sys.argv[2]))
