"""How far the mouth is from the sound: each viseme's start in the audio vs the frame that first shows it.

Pure: `offsets(track, shown)` takes the viseme track's keys (ms on the speaker's
clock) and the animation's record of when its dominant mouth shape changed (ms
on the same clock), and returns one signed offset per viseme that was shown
(+ = the picture is late). Visemes too short to become the dominant shape are
counted, not measured. ITU-R BT.1359 puts detectability at +45/-125 ms; the
kiosk's budget is |offset| <= 20 ms at p95.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEARCH_MS = 80   # a shape shown this long before or after its sound still counts as its frame


@dataclass(frozen=True)
class OffsetReport:
    offsets_ms: tuple[int, ...]
    not_shown: int

    def summary(self) -> dict:
        if not self.offsets_ms:
            return {"p50": None, "p95": None, "count": 0, "not_shown": self.not_shown}
        values = np.array(self.offsets_ms)
        return {"p50": int(round(float(np.percentile(values, 50)))),
                "p95": int(round(float(np.percentile(np.abs(values), 95)))),
                "mean": round(float(values.mean()), 1), "count": len(values), "not_shown": self.not_shown}


def offsets(track: list[tuple[int, str]], shown: list[tuple[int, str]]) -> OffsetReport:
    """`track`: (start ms, viseme) keys; `shown`: (ms, dominant shape) whenever it changed."""
    measured, missed = [], 0
    for i, (start, viseme) in enumerate(track):
        if viseme == "sil":
            continue
        end = track[i + 1][0] if i + 1 < len(track) else start + 200
        candidates = [t for t, shape in shown if shape == viseme and start - SEARCH_MS <= t <= end + SEARCH_MS]
        # Also a shape already showing when its sound starts (the same viseme twice in a row).
        before = [s for t, s in shown if t <= start]
        if before and before[-1] == viseme:
            candidates.append(start)
        if not candidates:
            missed += 1
            continue
        measured.append(min(candidates, key=lambda t: abs(t - start)) - start)
    return OffsetReport(tuple(measured), missed)
