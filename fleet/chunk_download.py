"""ChunkDownload: one offered bundle's chunks over MQTT (retained, one topic per chunk): a
window of chunk subscriptions, every chunk's sha256 checked, stalls noticed. Pure: no store,
no client; time is passed in."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field

from .messages import Offer

WINDOW = 4                      # chunk topics subscribed at once (flow control per device)
STALL_S = 20.0                  # no chunk for this long: subscribe again (retained redelivery)
MAX_STALLS = 6
MAX_BAD_CHUNKS = 3              # chunks that do not match their hash before the download fails
REPORT_EVERY_S = 5.0            # progress in `reported` at most this often


class ChunkVerdict(enum.Enum):
    UNWANTED = "unwanted"       # out of range, or a chunk we already have
    BAD = "bad"                 # does not match its hash: asked for again later
    TOO_MANY_BAD = "too-many-bad"
    GOOD = "good"


class StallVerdict(enum.Enum):
    MOVING = "moving"           # nothing to do
    RESUBSCRIBE = "resubscribe"
    GIVE_UP = "give-up"


@dataclass
class ChunkDownload:
    offer: Offer
    have: set[int]
    requested: set[int] = field(default_factory=set)
    last_progress: float = 0.0
    stalls: int = 0
    bad: int = 0
    reported_at: float = -1e9
    via_url: bool = False       # the driver is fetching it over HTTP(S): no stall checks meanwhile

    def missing(self) -> list[int]:
        return [i for i in range(len(self.offer.chunks)) if i not in self.have]

    def progress(self) -> float:
        return len(self.have) / len(self.offer.chunks)

    def window(self) -> list[int]:
        """Missing chunks to subscribe to now, up to WINDOW outstanding (marked as requested)."""
        wanted = [i for i in self.missing() if i not in self.requested][:max(0, WINDOW - len(self.requested))]
        self.requested.update(wanted)
        return wanted

    def check(self, index: int, payload: bytes) -> ChunkVerdict:
        """Whether a chunk that arrived is one to keep (counts the bad ones)."""
        if index >= len(self.offer.chunks) or index in self.have:
            return ChunkVerdict.UNWANTED
        if hashlib.sha256(payload).hexdigest() != self.offer.chunks[index]:
            self.bad += 1
            self.requested.discard(index)
            return ChunkVerdict.TOO_MANY_BAD if self.bad >= MAX_BAD_CHUNKS else ChunkVerdict.BAD
        return ChunkVerdict.GOOD

    def stored(self, index: int, now: float) -> bool:
        """A good chunk is stored; True if progress is due in `reported`."""
        self.have.add(index)
        self.requested.discard(index)
        self.last_progress, self.stalls = now, 0
        if now - self.reported_at >= REPORT_EVERY_S:
            self.reported_at = now
            return True
        return False

    def stall(self, now: float, online: bool) -> StallVerdict:
        """Called on every tick: subscribe again after STALL_S without a chunk; give up after MAX_STALLS."""
        if not (online and self.requested and not self.via_url and now - self.last_progress > STALL_S):
            return StallVerdict.MOVING
        self.stalls += 1
        self.last_progress = now
        return StallVerdict.GIVE_UP if self.stalls > MAX_STALLS else StallVerdict.RESUBSCRIBE
