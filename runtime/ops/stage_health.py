"""Is a stage (recogniser, voice) up, and when should a failed one be rebuilt? Pure: time is passed in.

A stage that raises is marked down; a rebuild is due after a back-off that grows with each
failure in a row (1, 2, 5, 10, 30, 60 s, then every 60 s) and is reset once the stage has
worked again. The kiosk never gives up on a stage: systemd's watchdog is for a kiosk that hangs,
not for a recogniser that threw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


@dataclass
class StageHealth:
    name: str
    backoff_s: tuple[float, ...] = BACKOFF_S
    up: bool = True
    failures_in_a_row: int = 0
    failures: int = 0
    restarts: int = 0
    last_error: str | None = None
    next_try: float = 0.0
    history: list[tuple[float, str]] = field(default_factory=list)   # (time, "failed: …" / "restarted")

    def failed(self, now: float, error: str) -> None:
        """The stage raised (or its rebuild did): down until the next try."""
        self.up = False
        self.failures += 1
        self.failures_in_a_row += 1
        self.last_error = error
        self.next_try = now + self.backoff_s[min(self.failures_in_a_row, len(self.backoff_s)) - 1]
        self.history = (self.history + [(now, f"failed: {error}")])[-20:]

    def due(self, now: float) -> bool:
        return not self.up and now >= self.next_try

    def restarted(self, now: float) -> None:
        self.up = True
        self.restarts += 1
        self.failures_in_a_row = 0
        self.history = (self.history + [(now, "restarted")])[-20:]

    def record(self) -> dict:
        return {"up": self.up, "failures": self.failures, "restarts": self.restarts,
                "last_error": self.last_error}
