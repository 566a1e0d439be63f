"""Typed messages of the panel-controller protocol and their payloads (pure).

Type codes: requests 0x01-0x3F (host -> controller); the controller answers each
with type | 0x80 carrying the same seq, or NACK (0x7F) with a reason code.
Unsolicited events 0x40-0x5F (controller -> host) carry the controller's own seq.
Integers are little-endian. See docs/bridge-protocol.md for the table.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import astuple, dataclass, fields
from typing import ClassVar

RESPONSE_BIT = 0x80
NACK = 0x7F


class Mode(enum.IntEnum):
    MODE_2D = 0
    MODE_3D = 1


class NackReason(enum.IntEnum):
    UNKNOWN_TYPE = 1
    BAD_PAYLOAD = 2
    OUT_OF_RANGE = 3
    BUSY = 4
    NOT_IN_FACTORY_MODE = 5


class MessageError(ValueError):
    """A payload that does not fit its message type."""


@dataclass(frozen=True)
class Message:
    TYPE: ClassVar[int]
    FORMAT: ClassVar[str] = ""   # struct format of the fixed part (little-endian)
    TEXT_TAIL: ClassVar[bool] = False  # last field is UTF-8 text taking the rest of the payload

    def to_payload(self) -> bytes:
        values = astuple(self)
        if self.TEXT_TAIL:
            return struct.pack("<" + self.FORMAT, *values[:-1]) + values[-1].encode("utf-8")
        return struct.pack("<" + self.FORMAT, *values)

    @classmethod
    def from_payload(cls, payload: bytes) -> "Message":
        size = struct.calcsize("<" + cls.FORMAT)
        if len(payload) < size or (not cls.TEXT_TAIL and len(payload) != size):
            raise MessageError(f"{cls.__name__}: payload of {len(payload)} bytes, expected "
                               f"{size}{' or more' if cls.TEXT_TAIL else ''}")
        values = list(struct.unpack("<" + cls.FORMAT, payload[:size]))
        if cls.TEXT_TAIL:
            try:
                values.append(payload[size:].decode("utf-8"))
            except UnicodeDecodeError as err:
                raise MessageError(f"{cls.__name__}: text is not UTF-8") from err
        try:
            return cls(*values)
        except (TypeError, ValueError) as err:
            raise MessageError(f"{cls.__name__}: {err}") from err


REGISTRY: dict[int, type[Message]] = {}


def message(code: int):
    def register(cls):
        cls.TYPE = code
        if code in REGISTRY:
            raise ValueError(f"message type {code:#04x} registered twice")
        REGISTRY[code] = cls
        return cls
    return register


# -- requests (host -> controller) and their responses (type | 0x80)
@message(0x01)
@dataclass(frozen=True)
class GetVersion(Message):
    pass


@message(0x01 | RESPONSE_BIT)
@dataclass(frozen=True)
class Version(Message):
    major: int
    minor: int
    patch: int
    model: str
    FORMAT: ClassVar[str] = "BBB"
    TEXT_TAIL: ClassVar[bool] = True


@message(0x02)
@dataclass(frozen=True)
class SetBrightness(Message):
    percent: int
    FORMAT: ClassVar[str] = "B"

    def __post_init__(self):
        if not 0 <= self.percent <= 100:
            raise ValueError(f"brightness {self.percent} % is outside 0..100")


@message(0x03)
@dataclass(frozen=True)
class SetMode(Message):
    mode: int
    FORMAT: ClassVar[str] = "B"

    def __post_init__(self):
        Mode(self.mode)


@message(0x04)
@dataclass(frozen=True)
class SetFanSpeed(Message):
    rpm: int
    FORMAT: ClassVar[str] = "H"


@message(0x05)
@dataclass(frozen=True)
class SetPower(Message):
    on: int
    FORMAT: ClassVar[str] = "B"


@message(0x06)
@dataclass(frozen=True)
class GetTemperature(Message):
    pass


@message(0x06 | RESPONSE_BIT)
@dataclass(frozen=True)
class Temperature(Message):
    centi_celsius: int
    FORMAT: ClassVar[str] = "h"


@message(0x07)
@dataclass(frozen=True)
class SetFactoryTest(Message):
    enter: int
    FORMAT: ClassVar[str] = "B"


@message(0x08)
@dataclass(frozen=True)
class GetStatus(Message):
    pass


@message(0x08 | RESPONSE_BIT)
@dataclass(frozen=True)
class Status(Message):
    brightness: int
    mode: int
    fan_rpm: int
    power: int
    factory_test: int
    FORMAT: ClassVar[str] = "BBHBB"


@dataclass(frozen=True)
class Ack(Message):
    """The answer to a setter: its request type | 0x80 with an empty payload."""

    TYPE: ClassVar[int] = 0


@message(NACK)
@dataclass(frozen=True)
class Nack(Message):
    reason: int
    FORMAT: ClassVar[str] = "B"


# -- unsolicited events (controller -> host)
@message(0x40)
@dataclass(frozen=True)
class PresenceEvent(Message):
    present: int
    distance_mm: int
    FORMAT: ClassVar[str] = "BH"


@message(0x41)
@dataclass(frozen=True)
class ButtonEvent(Message):
    button: int
    pressed: int
    FORMAT: ClassVar[str] = "BB"


@message(0x42)
@dataclass(frozen=True)
class TemperatureEvent(Message):
    centi_celsius: int
    FORMAT: ClassVar[str] = "h"


@message(0x43)
@dataclass(frozen=True)
class FanEvent(Message):
    rpm: int
    FORMAT: ClassVar[str] = "H"


@message(0x44)
@dataclass(frozen=True)
class PanelFault(Message):
    code: int
    text: str
    FORMAT: ClassVar[str] = "B"
    TEXT_TAIL: ClassVar[bool] = True


@message(0x45)
@dataclass(frozen=True)
class BootEvent(Message):
    """Sent once after power-on: event numbering restarts at 1 and the answer cache is empty."""

    boots: int
    FORMAT: ClassVar[str] = "H"


def is_request(code: int) -> bool:
    return 0x01 <= code <= 0x3F


def is_event(code: int) -> bool:
    return 0x40 <= code <= 0x5F


def is_response(code: int) -> bool:
    return code == NACK or bool(code & RESPONSE_BIT)


def parse(code: int, payload: bytes) -> Message:
    """The typed message for a frame's type and payload; MessageError when it does not fit."""
    cls = REGISTRY.get(code)
    if cls is not None:
        return cls.from_payload(payload)
    if code & RESPONSE_BIT and (code & ~RESPONSE_BIT) in REGISTRY:
        if payload:
            raise MessageError(f"ack {code:#04x}: expected an empty payload, got {len(payload)} bytes")
        return Ack()
    raise MessageError(f"unknown message type {code:#04x}")


def field_names(cls: type[Message]) -> list[str]:
    return [f.name for f in fields(cls)]
