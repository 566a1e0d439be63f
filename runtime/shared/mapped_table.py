"""A read-only table of text keys and byte values in one memory-mapped file: a big dictionary that a
process reads a few entries of, without holding it as Python objects.

Layout (little-endian): an 8-byte magic naming the kind of table, the key count N, the length of a JSON
header (what the table is about: totals, versions), the header, padding to 4 bytes; N + 1 key offsets
and N + 1 value offsets (uint32); the keys (UTF-8, sorted as bytes), then the values.
Lookups are a binary search over the mapped keys, the recent ones answered from memory.
"""

from __future__ import annotations

import bisect
import functools
import json
import mmap
import os
import struct
from pathlib import Path
from typing import Iterable

from .cache_copies import remove_partial_writes
from .durable_files import make_dirs, replace_atomic

_HEADER = struct.Struct("<8sII")
_LOOKUPS_KEPT = 8192      # a sentence asks for the same prefixes again and again


class MappedTable:
    def __init__(self, path: Path, magic: bytes):
        self.path = Path(path)
        with open(self.path, "rb") as fh:
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            found, self.count, meta_length = _HEADER.unpack_from(self._map, 0)
        except struct.error:
            found = b""
        if found != magic:
            raise ValueError(f"{self.path}: not a {magic.decode(errors='replace')} table")
        at = _HEADER.size
        try:
            self.meta = json.loads(self._map[at:at + meta_length].decode("utf-8"))
            at += meta_length + (-(at + meta_length) % 4)
            view = memoryview(self._map)
            self._key_offsets = view[at:at + 4 * (self.count + 1)].cast("I")
            at += 4 * (self.count + 1)
            self._value_offsets = view[at:at + 4 * (self.count + 1)].cast("I")
            at += 4 * (self.count + 1)
            if len(self._key_offsets) != self.count + 1 or len(self._value_offsets) != self.count + 1:
                raise ValueError("offsets cut short")
        except (ValueError, TypeError) as err:
            raise ValueError(f"{self.path}: a {magic.decode(errors='replace')} table cut short or damaged "
                             f"({err})") from err
        self._keys_at = at
        self._values_at = at + self._key_offsets[self.count]
        if self._values_at + self._value_offsets[self.count] != len(self._map):
            raise ValueError(f"{self.path}: a {magic.decode(errors='replace')} table cut short or damaged "
                             f"({len(self._map)} bytes)")
        self.find = functools.lru_cache(maxsize=_LOOKUPS_KEPT)(self._find)

    def __len__(self) -> int:
        return self.count

    def key(self, index: int) -> bytes:
        return self._map[self._keys_at + self._key_offsets[index]:self._keys_at + self._key_offsets[index + 1]]

    def value(self, index: int) -> bytes:
        return self._map[self._values_at + self._value_offsets[index]:self._values_at + self._value_offsets[index + 1]]

    def has_prefix(self, prefix: str) -> bool:
        """Does some key start with `prefix` (a key itself included)?"""
        wanted = prefix.encode("utf-8")
        index = bisect.bisect_left(_Keys(self), wanted)
        return index < self.count and self.key(index).startswith(wanted)

    def _find(self, key: str) -> int:
        """The index of `key`, or -1."""
        wanted = key.encode("utf-8")
        index = bisect.bisect_left(_Keys(self), wanted)
        return index if index < self.count and self.key(index) == wanted else -1


class _Keys:
    """The sorted keys as a sequence, for `bisect`."""

    def __init__(self, table: MappedTable):
        self._table = table

    def __len__(self) -> int:
        return self._table.count

    def __getitem__(self, index: int) -> bytes:
        return self._table.key(index)


def write_mapped_table(path: Path, magic: bytes, items: Iterable[tuple[str, bytes]], meta: dict) -> None:
    """Write the table (a temp file beside it, fsynced, renamed into place)."""
    pairs = sorted(((key.encode("utf-8"), value) for key, value in items), key=lambda kv: kv[0])
    meta_bytes = json.dumps(meta, ensure_ascii=False, sort_keys=True).encode("utf-8")
    head = _HEADER.pack(magic, len(pairs), len(meta_bytes)) + meta_bytes
    head += b"\0" * (-len(head) % 4)
    key_offsets, value_offsets = _offsets(k for k, _ in pairs), _offsets(v for _, v in pairs)
    if key_offsets[-1] >= 1 << 32 or value_offsets[-1] >= 1 << 32:
        raise ValueError(f"{path}: a table holds at most 4 GB of keys and of values")
    make_dirs(Path(path).parent)
    remove_partial_writes(Path(path))        # a writer killed at its time limit
    tmp = Path(path).with_name(f".{Path(path).name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(head)
            out.write(struct.pack(f"<{len(key_offsets)}I", *key_offsets))
            out.write(struct.pack(f"<{len(value_offsets)}I", *value_offsets))
            out.writelines(k for k, _ in pairs)
            out.writelines(v for _, v in pairs)
        replace_atomic(tmp, Path(path))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _offsets(chunks: Iterable[bytes]) -> list[int]:
    offsets, at = [0], 0
    for chunk in chunks:
        at += len(chunk)
        offsets.append(at)
    return offsets
