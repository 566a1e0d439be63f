"""Wire frames of the panel-controller link (pure; see docs/bridge-protocol.md).

On the wire: COBS(header | payload | crc16) 0x00
  header  = version u8 | type u8 | seq u16 LE | length u16 LE
  crc16   = CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over header + payload, big-endian
COBS removes every 0x00 from the frame, so 0x00 only ever delimits: after any
corruption the decoder resynchronises at the next delimiter.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass, field

from cobs import cobs

PROTOCOL_VERSION = 1
HEADER = struct.Struct("<BBHH")
CRC = struct.Struct(">H")
MAX_PAYLOAD = 1024
MAX_ENCODED = HEADER.size + MAX_PAYLOAD + CRC.size + (HEADER.size + MAX_PAYLOAD + CRC.size) // 254 + 2
DELIMITER = b"\x00"


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: crc16(b"123456789") == 0x29B1."""
    return binascii.crc_hqx(data, 0xFFFF)


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    payload: bytes = b""
    version: int = PROTOCOL_VERSION

    def __post_init__(self) -> None:
        if not 0 <= self.type <= 0xFF:
            raise ValueError(f"frame type {self.type} is not a byte")
        if not 0 <= self.seq <= 0xFFFF:
            raise ValueError(f"frame seq {self.seq} is not 16-bit")
        if len(self.payload) > MAX_PAYLOAD:
            raise ValueError(f"frame payload of {len(self.payload)} bytes exceeds {MAX_PAYLOAD}")


def encode_frame(frame: Frame) -> bytes:
    body = HEADER.pack(frame.version, frame.type, frame.seq, len(frame.payload)) + frame.payload
    return cobs.encode(body + CRC.pack(crc16(body))) + DELIMITER


class FrameError(ValueError):
    """One bad frame: why it was dropped."""


def decode_body(encoded: bytes) -> Frame:
    """One frame without its delimiter; raises FrameError naming what was wrong."""
    if len(encoded) > MAX_ENCODED:
        raise FrameError(f"frame of {len(encoded)} bytes is longer than {MAX_ENCODED}")
    try:
        raw = cobs.decode(encoded)
    except cobs.DecodeError as err:
        raise FrameError(f"bad COBS encoding ({err})") from None
    if len(raw) < HEADER.size + CRC.size:
        raise FrameError(f"frame of {len(raw)} bytes is shorter than header + CRC")
    body, (crc,) = raw[:-CRC.size], CRC.unpack(raw[-CRC.size:])
    if crc16(body) != crc:
        raise FrameError(f"CRC mismatch (got {crc:#06x}, computed {crc16(body):#06x})")
    version, ftype, seq, length = HEADER.unpack(body[:HEADER.size])
    if version != PROTOCOL_VERSION:
        raise FrameError(f"protocol version {version}, expected {PROTOCOL_VERSION}")
    if length != len(body) - HEADER.size:
        raise FrameError(f"length field {length} but {len(body) - HEADER.size} payload bytes")
    return Frame(ftype, seq, body[HEADER.size:], version)


@dataclass
class FrameDecoder:
    """Streaming decoder: feed any bytes, get whole good frames; bad ones are counted and dropped."""

    frames_ok: int = 0
    frames_bad: int = 0
    last_error: str | None = None
    _buffer: bytearray = field(default_factory=bytearray)
    _overflow: bool = False

    def feed(self, data: bytes) -> list[Frame]:
        out: list[Frame] = []
        data = bytes(data)
        start = 0
        while True:
            end = data.find(DELIMITER, start)
            if end < 0:
                self._append(data[start:])
                return out
            self._append(data[start:end])
            frame = self._finish()
            if frame is not None:
                out.append(frame)
            start = end + 1

    def _append(self, data: bytes) -> None:
        if self._overflow:
            return
        if len(self._buffer) + len(data) > MAX_ENCODED:
            self._overflow = True  # keep nothing until the next delimiter
            self._buffer.clear()
            return
        self._buffer += data

    def _finish(self) -> Frame | None:
        overflow, encoded = self._overflow, bytes(self._buffer)
        self._buffer.clear()
        self._overflow = False
        if overflow:
            return self._bad("frame longer than the maximum; skipped to the next delimiter")
        if not encoded:
            return None  # back-to-back delimiters: an idle line, not an error
        try:
            frame = decode_body(encoded)
        except FrameError as err:
            return self._bad(str(err))
        self.frames_ok += 1
        return frame

    def _bad(self, why: str) -> None:
        self.frames_bad += 1
        self.last_error = why
        return None
