"""jieba's word tables as one memory-mapped file, made once, so the Mandarin front end does not hold them.

jieba keeps its 349 000-word dictionary as Python dicts: the segmenter's word frequencies with every
word's prefixes (`jieba.dt.FREQ`, 498 000 keys, +66 MB resident) and the part-of-speech tagger's tags
(`jieba.posseg.dt.word_tag_tab`, +48 MB with its import). The Mandarin voice reads a few dozen entries
per clause. Here both are written once, by a child process that loads jieba as usual
(`python -m runtime.tts.zh_word_table DST`), into one sorted table in the voice cache

    <voice cache>/jieba-words-<jieba version and dictionary size, mtime>.table

and the kiosk maps that file and hands jieba read-only views of it (`install`): the same values for
every key, so the same words and tags (checked on every Mandarin line of the packs, docs/speaking.md).
A table that cannot be made (read-only cache, the child fails) leaves jieba to load its own, at that
memory cost, with a warning that says so.

File layout (little-endian): magic, key count N, tag count T, jieba's frequency total; the tag names
(each a byte length and UTF-8); N + 1 key offsets (uint32); N frequencies (uint32; 0 for a prefix that
is not a word); N tag numbers (uint8; 255: no tag); the keys, UTF-8, sorted as bytes.
"""

from __future__ import annotations

import bisect
import functools
import logging
import mmap
import os
import struct
import sys
from pathlib import Path
from typing import Iterator, Mapping

from runtime.shared.cache_child import run_module
from runtime.shared.durable_files import make_dirs, replace_atomic

_LOGGER = logging.getLogger(__name__)
MAGIC = b"EAJIEBA1"
NO_TAG = 255
_HEADER = struct.Struct("<8sIIQ")
CHILD_TIMEOUT_S = 300
_LOOKUPS_KEPT = 8192      # recent lookups answered from memory (a clause asks for the same prefixes again)


class WordTable:
    """A table file mapped read-only: `frequencies` and `tags` are jieba's two dicts, as views."""

    def __init__(self, path: Path):
        with open(path, "rb") as fh:
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        magic, count, tag_count, self.total = _HEADER.unpack_from(self._map, 0)
        if magic != MAGIC:
            raise ValueError(f"{path}: not a jieba word table (magic {magic!r})")
        at, tags = _HEADER.size, []
        for _ in range(tag_count):
            (length,) = struct.unpack_from("<H", self._map, at)
            tags.append(self._map[at + 2:at + 2 + length].decode("utf-8"))
            at += 2 + length
        at += -at % 4
        view = memoryview(self._map)
        self._offsets = view[at:at + 4 * (count + 1)].cast("I")
        at += 4 * (count + 1)
        self._freqs = view[at:at + 4 * count].cast("I")
        at += 4 * count
        self._tag_numbers = view[at:at + count]
        self._keys_at = at + count
        self._tag_names = tags
        self.count = count
        self.frequencies: Mapping[str, int] = _Frequencies(self)
        self.tags: Mapping[str, str] = _Tags(self)
        self.find = functools.lru_cache(maxsize=_LOOKUPS_KEPT)(self._find)

    def key(self, index: int) -> bytes:
        start = self._keys_at + self._offsets[index]
        return self._map[start:self._keys_at + self._offsets[index + 1]]

    def _find(self, word: str) -> int:
        """The index of `word`, or -1."""
        wanted = word.encode("utf-8")
        index = bisect.bisect_left(_Keys(self), wanted)
        return index if index < self.count and self.key(index) == wanted else -1

    def frequency(self, index: int) -> int:
        return self._freqs[index]

    def tag(self, index: int) -> str | None:
        number = self._tag_numbers[index]
        return None if number == NO_TAG else self._tag_names[number]


class _Keys:
    """The sorted keys as a sequence of bytes, for `bisect`."""

    def __init__(self, table: WordTable):
        self._table = table

    def __len__(self) -> int:
        return self._table.count

    def __getitem__(self, index: int) -> bytes:
        return self._table.key(index)


class _ReadOnly(Mapping):
    def __init__(self, table: WordTable):
        self._table = table

    def __setitem__(self, key, value):
        raise TypeError("jieba's word table is mapped read-only (runtime/tts/zh_word_table.py): "
                        "add words to the pack's text, not to jieba")

    def __len__(self) -> int:
        return self._table.count

    def __iter__(self) -> Iterator[str]:
        return (self._table.key(i).decode("utf-8") for i in range(self._table.count))


class _Frequencies(_ReadOnly):
    def __getitem__(self, word: str) -> int:
        index = self._table.find(word)
        if index < 0:
            raise KeyError(word)
        return self._table.frequency(index)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._table.find(word) >= 0


class _Tags(_ReadOnly):
    def __getitem__(self, word: str) -> str:
        tag = self._tag_of(word)
        if tag is None:
            raise KeyError(word)
        return tag

    def __contains__(self, word: object) -> bool:
        return self._tag_of(word) is not None

    def __iter__(self) -> Iterator[str]:
        return (w for w in super().__iter__() if self._tag_of(w) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def _tag_of(self, word: object) -> str | None:
        index = self._table.find(word) if isinstance(word, str) else -1
        return self._table.tag(index) if index >= 0 else None


def write_table(frequencies: Mapping[str, int], total: int, tags: Mapping[str, str], path: Path) -> None:
    """Write jieba's two dicts as a table file (the child's work; temp file, fsync, rename)."""
    keys = sorted(set(frequencies) | set(tags), key=lambda w: w.encode("utf-8"))
    tag_names = sorted(set(tags.values()))
    if len(tag_names) >= NO_TAG:
        raise ValueError(f"{len(tag_names)} part-of-speech tags: the table holds at most {NO_TAG - 1}")
    numbers = {t: i for i, t in enumerate(tag_names)}
    encoded = [k.encode("utf-8") for k in keys]
    head = bytearray(_HEADER.pack(MAGIC, len(keys), len(tag_names), total))
    for name in tag_names:
        raw = name.encode("utf-8")
        head += struct.pack("<H", len(raw)) + raw
    head += b"\0" * (-len(head) % 4)
    offsets, at = [], 0
    for raw in encoded:
        offsets.append(at)
        at += len(raw)
    offsets.append(at)
    make_dirs(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(head)
            out.write(struct.pack(f"<{len(offsets)}I", *offsets))
            out.write(struct.pack(f"<{len(keys)}I", *(frequencies.get(k, 0) for k in keys)))
            out.write(bytes(numbers[tags[k]] if k in tags else NO_TAG for k in keys))
            out.writelines(encoded)
        replace_atomic(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def table_path(cache: Path) -> Path:
    """Where the table of the installed jieba and its dictionary is kept (its name changes with them)."""
    import jieba
    dictionary = Path(jieba.__file__).with_name("dict.txt")
    stat = dictionary.stat()
    return cache / f"jieba-words-{jieba.__version__}-{stat.st_size}-{stat.st_mtime_ns}.table"


def word_table(cache: Path) -> tuple[Path | None, str]:
    """(the table file, how it was found) — or (None, why not) when none can be made here."""
    path = table_path(cache)
    if path.is_file():
        return path, "cached"
    try:
        make_dirs(path.parent)
    except OSError as err:
        return None, f"the word table could not be made ({err})"
    code, last = run_module("runtime.tts.zh_word_table", str(path), timeout_s=CHILD_TIMEOUT_S)
    if code != 0 or not path.is_file():
        return None, f"the word table could not be made ({'' if code is None else f'exit {code}: '}{last})"
    return path, "made now"


def install(path: Path) -> None:
    """Hand jieba (segmenter and part-of-speech tagger) the mapped table instead of its own dicts.
    Call before anything cuts text; `jieba.posseg` is imported here without loading its tags."""
    import jieba
    table = WordTable(path)
    with jieba.dt.lock:
        jieba.dt.FREQ, jieba.dt.total, jieba.dt.initialized = table.frequencies, table.total, True
    if "jieba.posseg" not in sys.modules:
        jieba.dt.get_dict_file = lambda: open(os.devnull, "rb")   # its import would read all the tags
        try:
            import jieba.posseg
        finally:
            del jieba.dt.get_dict_file
    import jieba.posseg
    jieba.posseg.dt.word_tag_tab = table.tags


def _make(path: Path) -> None:
    """The child: jieba's own dicts, loaded as jieba loads them, written as a table."""
    import logging as _logging

    import jieba
    jieba.setLogLevel(_logging.WARNING)
    frequencies, total = jieba.Tokenizer.gen_pfdict(jieba.dt.get_dict_file())
    import jieba.posseg
    write_table(frequencies, total, jieba.posseg.dt.word_tag_tab, path)


if __name__ == "__main__":
    _make(Path(sys.argv[1]))
