"""Exponential back-off with jitter, pure: the attempt number and a random draw are arguments.

Used for chunk re-requests (``chunk_download``) and the simulator's reconnects, so a thousand
kiosks that lost the same broker at the same moment do not all come back at the same moment.
"""

from __future__ import annotations


def backoff_delay(attempt: int, first_s: float, cap_s: float, draw: float, jitter: float = 0.25) -> float:
    """Seconds to wait before try number `attempt` (1 = the first retry): first_s, 2x, 4x, ...
    capped at cap_s, then spread by +-jitter (draw in [0, 1): 0.5 is the middle)."""
    if attempt < 1:
        raise ValueError(f"back-off attempt {attempt}: expected 1 or more")
    if not (0.0 <= draw < 1.0):
        raise ValueError(f"back-off draw {draw}: expected a number in [0, 1)")
    if first_s <= 0 or cap_s < first_s:
        raise ValueError(f"back-off {first_s} s .. {cap_s} s: expected 0 < first <= cap")
    base = min(cap_s, first_s * 2.0 ** min(attempt - 1, 32))
    return base * (1.0 + jitter * (2.0 * draw - 1.0))
