"""Jobs other threads hand to the kiosk loop (the fleet agent's way in), run between audio chunks."""

from __future__ import annotations

import logging
import queue
from typing import Callable

_LOGGER = logging.getLogger(__name__)


class JobInbox:
    def __init__(self):
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

    def post(self, job: Callable[[], None]) -> None:
        self._jobs.put(job)

    def run_all(self) -> None:
        """On the kiosk thread: run what was posted; a failing job is logged, never stops the kiosk."""
        while not self._jobs.empty():
            job = self._jobs.get_nowait()
            try:
                job()
            except Exception:  # a fleet request must never stop the kiosk; logged with its trace
                _LOGGER.exception("fleet request failed on the kiosk thread")
