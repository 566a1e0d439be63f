"""ChunkDownload: one offered bundle's chunks over MQTT (retained, one topic per chunk): a
window of chunk subscriptions, every chunk's sha256 checked, each chunk asked for again with
back-off when it does not come, and a progress deadline. Pure: no store, no client; time and the
random draws for jitter are passed in."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field

from .backoff import backoff_delay
from .messages import Offer

# Chunk topics subscribed at once (flow control per device). Every byte of a window waits in
# socket buffers between the broker and the device: 2 x 256 kB per kiosk keeps a real link busy
# (a 20 Mbit/s, 50 ms link needs 125 kB in flight), and 1000 kiosks on one host stay clear of
# the kernel's TCP memory pressure that 4 chunks each reached (docs/fleet.md, "Stalls").
WINDOW = 2
RETRY_FIRST_S = 20.0            # a chunk asked for this long ago and not here: ask again (retained redelivery)
RETRY_CAP_S = 80.0              # ... doubling each time up to this
GIVE_UP_S = 300.0               # connected, and no chunk at all for this long: download-failed
MAX_BAD_CHUNKS = 3              # chunks that do not match their hash before the download fails
REPORT_EVERY_S = 5.0            # progress in `reported` at most this often


@dataclass(frozen=True)
class RetryTimings:
    """When a chunk that did not come is asked for again, and when the download gives up."""
    first_s: float = RETRY_FIRST_S
    cap_s: float = RETRY_CAP_S
    give_up_s: float = GIVE_UP_S

    def __post_init__(self):
        if not (0 < self.first_s <= self.cap_s and self.give_up_s > 0):
            raise ValueError(f"chunk retry timings {self.first_s}/{self.cap_s}/{self.give_up_s} s: expected "
                             "0 < first <= cap and give-up > 0")

    @classmethod
    def scaled(cls, first_s: float) -> "RetryTimings":
        """The default shape from another first wait (tests and simulations on a short clock)."""
        return cls(first_s, first_s * RETRY_CAP_S / RETRY_FIRST_S, first_s * GIVE_UP_S / RETRY_FIRST_S)


class ChunkVerdict(enum.Enum):
    UNWANTED = "unwanted"       # out of range, or a chunk we already have
    BAD = "bad"                 # does not match its hash: asked for again later
    TOO_MANY_BAD = "too-many-bad"
    GOOD = "good"


@dataclass
class Request:
    """One chunk asked for: when it is due to be asked again, and how many times it was."""
    due: float
    attempts: int = 0


@dataclass
class ChunkDownload:
    offer: Offer
    have: set[int]
    requested: dict[int, Request] = field(default_factory=dict)
    last_progress: float = 0.0
    bad: int = 0
    retries: int = 0            # re-requests so far (in `reported`, and a reason when it fails)
    reported_at: float = -1e9
    via_url: bool = False       # the driver is fetching it over HTTP(S): no stall checks meanwhile
    timings: RetryTimings = RetryTimings()

    def missing(self) -> list[int]:
        return [i for i in range(len(self.offer.chunks)) if i not in self.have]

    def progress(self) -> float:
        return len(self.have) / len(self.offer.chunks)

    def window(self, now: float) -> list[int]:
        """Missing chunks to subscribe to now, up to WINDOW outstanding (marked as requested)."""
        wanted = [i for i in self.missing() if i not in self.requested][:max(0, WINDOW - len(self.requested))]
        for i in wanted:
            self.requested[i] = Request(now + self.timings.first_s)
        return wanted

    def forget_requests(self, now: float) -> None:
        """A new connection: the broker forgot our subscriptions; the deadline starts again."""
        self.requested.clear()
        self.last_progress = now

    def check(self, index: int, payload: bytes) -> ChunkVerdict:
        """Whether a chunk that arrived is one to keep (counts the bad ones)."""
        if index >= len(self.offer.chunks) or index in self.have:
            return ChunkVerdict.UNWANTED
        if hashlib.sha256(payload).hexdigest() != self.offer.chunks[index]:
            self.bad += 1
            self.requested.pop(index, None)
            return ChunkVerdict.TOO_MANY_BAD if self.bad >= MAX_BAD_CHUNKS else ChunkVerdict.BAD
        return ChunkVerdict.GOOD

    def stored(self, index: int, now: float) -> bool:
        """A good chunk is stored; True if progress is due in `reported`."""
        self.have.add(index)
        self.requested.pop(index, None)
        self.last_progress = now
        if now - self.reported_at >= REPORT_EVERY_S:
            self.reported_at = now
            return True
        return False

    def overdue(self, now: float, online: bool, draw: float) -> list[int]:
        """Chunks to ask for again now (each re-armed with a longer, jittered wait). Nothing while
        offline (the reconnect asks for everything) or while an HTTP(S) fetch runs."""
        if not online or self.via_url:
            return []
        late = sorted(i for i, r in self.requested.items() if now >= r.due)
        for i in late:
            r = self.requested[i]
            r.attempts += 1
            r.due = now + backoff_delay(r.attempts + 1, self.timings.first_s, self.timings.cap_s, draw)
        self.retries += len(late)
        return late

    def given_up(self, now: float, online: bool) -> bool:
        """Connected, chunks asked for, and none came for the give-up time (re-requests included)."""
        return (online and not self.via_url and bool(self.requested)
                and now - self.last_progress >= self.timings.give_up_s)
