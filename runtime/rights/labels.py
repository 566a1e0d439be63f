"""Implicit AI labels inside the files the kiosk writes (pure: bytes in, bytes out).

The label is the metadata label of China's AI-generated content labelling measures as set out in
GB 45438-2025 (as we read it): a JSON object under the key ``AIGC`` with ``Label`` ("1": generated
by AI), ``ContentProducer`` (the service provider), ``ProduceID`` (this file's content id),
``ContentPropagator`` / ``PropagateID`` (left empty: the kiosk does not pass files on) and two
reserved codes; ``ReservedCode1`` names the rights records of the assets that made the file
(``asset_id@sha256[:16]`` of each ``rights.yaml``). It is written

- in a PNG as an ``iTXt`` chunk with keyword ``AIGC`` (plus ``Software``), before ``IEND``;
- in a WAV as a ``LIST``/``INFO`` chunk: ``ICMT`` holds the JSON, ``ISFT`` the software.

The visible label (on every frame) is separate and unchanged (``runtime/display``).
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from dataclasses import dataclass, field

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
KEYWORD = "AIGC"
SOFTWARE = "edge-avatar"


class LabelError(ValueError):
    """A file that is not the PNG or WAV it claims to be, or whose label is malformed."""


@dataclass(frozen=True)
class AssetRef:
    asset_id: str
    kind: str
    record: bytes                    # the asset's rights.yaml, as signed

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.record).hexdigest()


@dataclass(frozen=True)
class FileLabel:
    provider: str = SOFTWARE         # the service provider (ContentProducer)
    assets: tuple[AssetRef, ...] = field(default=())

    def aigc(self, content_id: str) -> dict:
        rights = ";".join(f"{a.asset_id}@{a.digest[:16]}" for a in self.assets)
        return {KEYWORD: {"Label": "1", "ContentProducer": self.provider, "ProduceID": content_id,
                          "ReservedCode1": rights, "ContentPropagator": "", "PropagateID": "",
                          "ReservedCode2": ""}}


def encode_label(label: dict) -> str:
    return json.dumps(label, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# ---- PNG ----------------------------------------------------------------------------------------
def _png_chunks(png: bytes):
    if not png.startswith(PNG_MAGIC):
        raise LabelError("not a PNG file (no PNG signature)")
    i = len(PNG_MAGIC)
    while i + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[i:i + 8])
        yield i, kind, png[i + 8:i + 8 + length]
        i += 12 + length


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_label(png: bytes, label: dict) -> bytes:
    """The PNG with the label (iTXt AIGC) and Software (tEXt) before IEND; earlier ones replaced."""
    out, iend = [png[:len(PNG_MAGIC)]], None
    for start, kind, data in _png_chunks(png):
        if kind == b"IEND":
            iend = start
            break
        if kind in (b"iTXt", b"tEXt") and data.split(b"\0", 1)[0] in (KEYWORD.encode(), b"Software"):
            continue
        out.append(png[start:start + 12 + len(data)])
    if iend is None:
        raise LabelError("not a complete PNG file (no IEND chunk)")
    itxt = KEYWORD.encode() + b"\0\0\0" + b"\0" + b"\0" + encode_label(label).encode("utf-8")
    out += [_chunk(b"iTXt", itxt), _chunk(b"tEXt", b"Software\0" + SOFTWARE.encode()), png[iend:]]
    return b"".join(out)


def png_label(png: bytes) -> dict | None:
    for _start, kind, data in _png_chunks(png):
        if kind == b"iTXt" and data.startswith(KEYWORD.encode() + b"\0"):
            # keyword \0 flag method language \0 translated \0 text
            rest = data[len(KEYWORD) + 3:]
            _lang, _translated, text = rest.split(b"\0", 2)
            return _decode(text)
    return None


# ---- WAV ----------------------------------------------------------------------------------------
def _wav_chunks(wav: bytes):
    if len(wav) < 12 or wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise LabelError("not a WAV file (no RIFF/WAVE header)")
    i = 12
    while i + 8 <= len(wav):
        kind, length = struct.unpack("<4sI", wav[i:i + 8])
        yield i, kind, wav[i + 8:i + 8 + length]
        i += 8 + length + (length & 1)


def wav_with_label(wav: bytes, label: dict) -> bytes:
    """The WAV with a LIST/INFO chunk (ICMT: the label, ISFT: the software); an earlier one replaced."""
    kept = [wav[s:s + 8 + len(d) + (len(d) & 1)] for s, k, d in _wav_chunks(wav)
            if not (k == b"LIST" and d[:4] == b"INFO")]
    info = b"INFO"
    for key, text in ((b"ICMT", encode_label(label)), (b"ISFT", SOFTWARE)):
        data = text.encode("utf-8") + b"\0"
        info += struct.pack("<4sI", key, len(data)) + data + (b"\0" if len(data) & 1 else b"")
    body = b"WAVE" + b"".join(kept) + struct.pack("<4sI", b"LIST", len(info)) + info
    return b"RIFF" + struct.pack("<I", len(body)) + body


def wav_label(wav: bytes) -> dict | None:
    for _s, kind, data in _wav_chunks(wav):
        if kind == b"LIST" and data[:4] == b"INFO":
            i = 4
            while i + 8 <= len(data):
                key, length = struct.unpack("<4sI", data[i:i + 8])
                if key == b"ICMT":
                    return _decode(data[i + 8:i + 8 + length].rstrip(b"\0"))
                i += 8 + length + (length & 1)
    return None


def _decode(text: bytes) -> dict:
    try:
        label = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LabelError(f"the {KEYWORD} label is not JSON ({err})") from None
    if not isinstance(label, dict) or not isinstance(label.get(KEYWORD), dict):
        raise LabelError(f"expected a JSON object with an {KEYWORD!r} object")
    return label


def check_label(label: dict | None) -> list[str]:
    """What is wrong with a read label ([] if it is complete)."""
    if label is None:
        return [f"no implicit {KEYWORD} label in the file's metadata"]
    body = label[KEYWORD]
    problems = []
    if body.get("Label") != "1":
        problems.append(f"{KEYWORD}.Label: expected \"1\" (generated by AI), got {body.get('Label')!r}")
    for key in ("ContentProducer", "ProduceID"):
        if not body.get(key):
            problems.append(f"{KEYWORD}.{key}: expected a value")
    return problems
