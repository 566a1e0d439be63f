"""One place every event of a kiosk's life goes through: turns, greetings, barge-ins, turns not
answered (with their reason), stage failures, installs.

`EventRecorder.record(kind, data)` hands the event to every subscriber of its kind: the run report
(`KioskRun`), the interaction log, the service status, fleet telemetry (`counts`). A subscriber that
fails is logged and counted; it never stops the conversation or the other subscribers. Events come
from the kiosk's thread, the speech worker (a voice failed) and the fleet agent (an install): one
re-entrant lock keeps each event's delivery whole.
"""

from __future__ import annotations

import collections
import enum
import logging
import threading
from typing import Any, Callable

_LOGGER = logging.getLogger(__name__)


class EventKind(str, enum.Enum):
    TURN = "turn"                                # a visitor's question and the answer given
    GREETING = "greeting"                        # the avatar spoke first (a visitor arrived, or to attract)
    DISCARDED_TURN = "discarded-turn"            # a voiced stretch with nothing recognised, or the crowd
    UNHEARD_TURN = "unheard-turn"                # spoke while the recogniser was down
    IGNORED_OVER_SPEECH = "ignored-over-speech"  # heard over the avatar's voice: echo or a backchannel
    SPECULATION = "speculation"                  # an answer prepared in a pause
    SPECULATION_USED = "speculation-used"        # ... and it was the answer
    BARGE_IN = "barge-in"                        # the visitor interrupted the avatar
    BACKCHANNEL = "backchannel"                  # the avatar paused for a sound, then went on
    STAGE_FAILURE = "stage-failure"              # a supervised stage (recogniser, voice) failed
    INSTALL = "install"                          # the fleet installed a bundle
    STAFF_ALERT = "staff-alert"                  # the safety layer called a member of staff
    RIGHTS = "rights"                            # an asset's consent ended or it was revoked: replaced


Subscriber = Callable[[EventKind, dict[str, Any]], None]


class EventRecorder:
    def __init__(self) -> None:
        self._subscribers: list[tuple[frozenset[EventKind], Subscriber]] = []
        self.counts: collections.Counter[EventKind] = collections.Counter()
        self.subscriber_errors = 0
        self._lock = threading.RLock()

    def subscribe(self, subscriber: Subscriber, *kinds: EventKind) -> None:
        """`subscriber(kind, data)` for events of `kinds` (every kind when none is named)."""
        self._subscribers.append((frozenset(kinds or EventKind), subscriber))

    def record(self, kind: EventKind, data: dict[str, Any] | None = None) -> dict[str, Any]:
        data = {} if data is None else data
        with self._lock:
            self.counts[kind] += 1
            for kinds, subscriber in self._subscribers:
                if kind not in kinds:
                    continue
                try:
                    subscriber(kind, data)
                except Exception:  # a failing log or status must not stop the conversation; it is reported
                    self.subscriber_errors += 1
                    _LOGGER.exception("recording a %s event failed in %r", kind.value, subscriber)
        return data
