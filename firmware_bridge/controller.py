"""A software panel controller: the protocol's other side, pure, with injectable faults.

`ControllerModel.handle(frame_bytes, now)` takes what the host sent and returns
the bytes to send back (possibly none, late, corrupted or twice, as its faults
say). It answers retries from a cache instead of executing twice, and emits
presence/temperature/fan events from `tick(now)`.
"""

from __future__ import annotations

import collections
import random
from dataclasses import dataclass, field

from .frames import Frame, FrameDecoder, encode_frame
from .messages import (NACK, RESPONSE_BIT, BootEvent, FanEvent, GetStatus, GetTemperature, GetVersion, Message,
                       MessageError, Mode, NackReason, PresenceEvent, SetBrightness, SetFactoryTest,
                       SetFanSpeed, SetMode, SetPower, Status, Temperature, TemperatureEvent, Version, parse)

FIRMWARE = (1, 0, 3)
MODEL = "edge-avatar sim"
ANSWER_CACHE = 8


@dataclass(frozen=True)
class Faults:
    drop: float = 0.0        # probability an outgoing frame is lost
    corrupt: float = 0.0     # probability one of its bytes is flipped
    duplicate: float = 0.0   # probability it is sent twice
    delay_s: float = 0.0     # added before every answer
    stuck_presence: bool = False  # the sensor reports "present" forever
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("drop", "corrupt", "duplicate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"fault {name}: expected a probability in 0..1")
        if self.delay_s < 0:
            raise ValueError("fault delay_s: expected >= 0")


@dataclass
class PanelState:
    brightness: int = 100
    mode: int = Mode.MODE_2D
    fan_rpm: int = 0
    power: int = 1
    factory_test: int = 0
    centi_celsius: int = 4200


@dataclass
class ControllerModel:
    faults: Faults = field(default_factory=Faults)
    state: PanelState = field(default_factory=PanelState)
    boots: int = 1
    _decoder: FrameDecoder = field(default_factory=FrameDecoder)
    _answers: collections.OrderedDict = field(default_factory=collections.OrderedDict)
    _event_seq: int = 0
    _presence: tuple[int, int] | None = None
    executed: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.faults.seed)

    # -- host -> controller
    def receive(self, data: bytes) -> list[bytes]:
        """Bytes from the host; returns frames to send (after the fault filter)."""
        out: list[bytes] = []
        for frame in self._decoder.feed(data):
            out += self._faulty(self._answer(frame))
        return out

    def _answer(self, frame: Frame) -> bytes:
        cached = self._answers.get(frame.seq)
        if cached is not None and cached[0] == frame.type:
            return cached[1]          # a retry: answer again, do not execute again
        try:
            response = self._execute(parse(frame.type, frame.payload))
            wire = encode_frame(Frame(frame.type | RESPONSE_BIT, frame.seq,
                                      response.to_payload() if response else b""))
        except MessageError as err:
            reason = NackReason.UNKNOWN_TYPE if "unknown" in str(err) else (
                NackReason.OUT_OF_RANGE if "outside" in str(err) else NackReason.BAD_PAYLOAD)
            wire = encode_frame(Frame(NACK, frame.seq, bytes([reason])))
        except _Nack as nack:
            wire = encode_frame(Frame(NACK, frame.seq, bytes([nack.reason])))
        self._answers[frame.seq] = (frame.type, wire)
        while len(self._answers) > ANSWER_CACHE:
            self._answers.popitem(last=False)
        return wire

    def _execute(self, msg: Message) -> Message | None:
        self.executed += 1
        s = self.state
        if isinstance(msg, GetVersion):
            return Version(*FIRMWARE, MODEL)
        if isinstance(msg, GetTemperature):
            return Temperature(s.centi_celsius)
        if isinstance(msg, GetStatus):
            return Status(s.brightness, s.mode, s.fan_rpm, s.power, s.factory_test)
        if isinstance(msg, SetBrightness):
            s.brightness = msg.percent
        elif isinstance(msg, SetMode):
            s.mode = msg.mode
        elif isinstance(msg, SetFanSpeed):
            if msg.rpm > 3000:
                raise _Nack(NackReason.OUT_OF_RANGE)
            s.fan_rpm = msg.rpm
        elif isinstance(msg, SetPower):
            s.power = 1 if msg.on else 0
        elif isinstance(msg, SetFactoryTest):
            s.factory_test = 1 if msg.enter else 0
        else:
            raise _Nack(NackReason.UNKNOWN_TYPE)
        return None

    # -- controller -> host, unsolicited
    def presence(self, present: bool, distance_mm: int = 0) -> list[bytes]:
        if self.faults.stuck_presence:
            present, distance_mm = True, 400
        return self.event(PresenceEvent(int(present), distance_mm))

    def event(self, msg: Message) -> list[bytes]:
        self._event_seq = self._event_seq % 0xFFFF + 1
        return self._faulty(encode_frame(Frame(msg.TYPE, self._event_seq, msg.to_payload())))

    def telemetry(self) -> list[bytes]:
        return self.event(TemperatureEvent(self.state.centi_celsius)) + self.event(FanEvent(self.state.fan_rpm))

    def reboot(self) -> list[bytes]:
        """Power-cycle: state, answer cache, event numbering and half-read bytes are lost.
        Returns the boot announcement to send."""
        self.state = PanelState()
        self._answers.clear()
        self._event_seq = 0
        self._decoder = FrameDecoder()
        self.boots += 1
        return self.event(BootEvent(self.boots))

    def _faulty(self, wire: bytes) -> list[bytes]:
        f, rng = self.faults, self._rng
        if f.drop and rng.random() < f.drop:
            return []
        if f.corrupt and rng.random() < f.corrupt:
            broken = bytearray(wire)
            broken[rng.randrange(len(broken) - 1)] ^= 1 << rng.randrange(8)
            wire = bytes(broken)
        if f.duplicate and rng.random() < f.duplicate:
            return [wire, wire]
        return [wire]


class _Nack(Exception):
    def __init__(self, reason: int):
        super().__init__(reason)
        self.reason = reason
