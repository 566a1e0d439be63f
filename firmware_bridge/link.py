"""Request/response over frames: sequence numbers, timeouts, bounded retries, de-duplication.

Pure: the caller passes the time in and does the I/O. A request keeps its seq
across retries, so a controller that already executed it answers again from its
cache instead of executing twice; a response or event seen twice is dropped.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field

from .frames import Frame, encode_frame
from .messages import (NACK, BootEvent, Message, MessageError, Nack, NackReason, is_event, is_response,
                       parse)


@dataclass(frozen=True)
class LinkConfig:
    timeout_s: float = 0.2
    retries: int = 3          # attempts after the first
    dedupe_window: int = 64   # remembered event seqs

    def __post_init__(self) -> None:
        if self.timeout_s <= 0 or self.retries < 0 or self.dedupe_window < 1:
            raise ValueError("link: expected timeout_s > 0, retries >= 0, dedupe_window >= 1")


@dataclass(frozen=True)
class Completed:
    seq: int
    request: Message
    response: Message
    attempts: int
    round_trip_s: float


@dataclass(frozen=True)
class Failed:
    seq: int
    request: Message
    reason: str   # "timeout" or "nack:<REASON>" or "bad response: ..."
    attempts: int


@dataclass(frozen=True)
class EventReceived:
    seq: int
    event: Message


LinkEvent = Completed | Failed | EventReceived


@dataclass
class _Pending:
    request: Message
    wire: bytes
    first_sent: float
    last_sent: float
    attempts: int = 1


@dataclass
class LinkStats:
    sent: int = 0
    retransmits: int = 0
    timeouts: int = 0
    duplicates: int = 0
    unexpected: int = 0
    bad_payloads: int = 0


@dataclass
class RequestTracker:
    config: LinkConfig = field(default_factory=LinkConfig)
    stats: LinkStats = field(default_factory=LinkStats)
    _next_seq: int = 1
    _pending: dict[int, _Pending] = field(default_factory=dict)
    _seen_events: collections.deque = field(default_factory=collections.deque)

    def request(self, message: Message, now: float) -> tuple[int, bytes]:
        seq = self._next_seq
        self._next_seq = self._next_seq % 0xFFFF + 1   # 1..65535; 0 is never used
        wire = encode_frame(Frame(message.TYPE, seq, message.to_payload()))
        self._pending[seq] = _Pending(message, wire, now, now)
        self.stats.sent += 1
        return seq, wire

    def on_frame(self, frame: Frame, now: float) -> list[LinkEvent]:
        if is_event(frame.type):
            return self._on_event(frame)
        if not is_response(frame.type):
            self.stats.unexpected += 1
            return []
        pending = self._pending.get(frame.seq)
        if pending is None:
            self.stats.duplicates += 1   # a late or repeated answer to a finished request
            return []
        if frame.type != NACK and frame.type != pending.request.TYPE | 0x80:
            self.stats.unexpected += 1
            return []
        del self._pending[frame.seq]
        try:
            response = parse(frame.type, frame.payload)
        except MessageError as err:
            self.stats.bad_payloads += 1
            return [Failed(frame.seq, pending.request, f"bad response: {err}", pending.attempts)]
        if isinstance(response, Nack):
            try:
                reason = NackReason(response.reason).name
            except ValueError:
                reason = str(response.reason)
            return [Failed(frame.seq, pending.request, f"nack:{reason}", pending.attempts)]
        return [Completed(frame.seq, pending.request, response, pending.attempts, now - pending.first_sent)]

    def poll(self, now: float) -> tuple[list[bytes], list[LinkEvent]]:
        """Frames to send again, and requests that ran out of attempts."""
        resend, failed = [], []
        for seq, p in list(self._pending.items()):
            if now - p.last_sent < self.config.timeout_s:
                continue
            if p.attempts > self.config.retries:
                del self._pending[seq]
                self.stats.timeouts += 1
                failed.append(Failed(seq, p.request, "timeout", p.attempts))
                continue
            p.attempts += 1
            p.last_sent = now
            self.stats.retransmits += 1
            resend.append(p.wire)
        return resend, failed

    def next_deadline(self) -> float | None:
        """When poll() next has work, for a caller that sleeps until then."""
        if not self._pending:
            return None
        return min(p.last_sent for p in self._pending.values()) + self.config.timeout_s

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    def _on_event(self, frame: Frame) -> list[LinkEvent]:
        if frame.type == BootEvent.TYPE:
            self._seen_events.clear()   # the controller restarted its event numbering
        key = (frame.type, frame.seq)
        if key in self._seen_events:
            self.stats.duplicates += 1
            return []
        self._seen_events.append(key)
        if len(self._seen_events) > self.config.dedupe_window:
            self._seen_events.popleft()
        try:
            return [EventReceived(frame.seq, parse(frame.type, frame.payload))]
        except MessageError:
            self.stats.bad_payloads += 1
            return []
