"""Wave rollouts (pure): which devices get a bundle in each wave, and when to stop.

Like AWS IoT Jobs' rollout + abort config and hawkBit's groups with an error threshold:
waves are cumulative percentages of the group, devices are ordered by a stable hash of
(bundle, device) so each rollout samples the fleet differently but repeatably, and a
failure rate over the devices finished so far above ``abort_at`` stops the rollout.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from .errors import FleetError
from .install_state import FAILURES


def parse_percentages(text: str, what: str) -> list[float]:
    try:
        values = [float(p.strip().rstrip("%")) / 100 for p in text.split(",") if p.strip()]
    except ValueError:
        raise FleetError(f"{what} {text!r}: expected percentages like 1,10,50,100%") from None
    if not values or any(not 0 < v <= 1 for v in values) or values != sorted(values):
        raise FleetError(f"{what} {text!r}: expected rising percentages above 0 and up to 100")
    return values


def parse_waves(text: str) -> list[float]:
    waves = parse_percentages(text, "--waves")
    if waves[-1] != 1.0:
        waves.append(1.0)
    return waves


def plan_waves(device_ids: list[str], waves: list[float], salt: str) -> list[list[str]]:
    """Disjoint device lists; wave k brings the total to ceil(waves[k] * N) (at least one new device)."""
    order = sorted(device_ids, key=lambda d: hashlib.sha256(f"{salt}/{d}".encode()).hexdigest())
    plan, done = [], 0
    for fraction in waves:
        upto = min(len(order), max(done + 1, math.ceil(fraction * len(order))))
        if upto > done:
            plan.append(order[done:upto])
            done = upto
    return plan


@dataclass(frozen=True)
class WaveVerdict:
    action: str            # continue | abort
    failed: int
    finished: int
    rate: float


def judge(results: dict[str, str], abort_at: float) -> WaveVerdict:
    """results: device -> final state (committed, rejected, failed, timeout...)."""
    finished = len(results)
    failed = sum(1 for s in results.values() if s in FAILURES)
    rate = failed / finished if finished else 0.0
    return WaveVerdict("abort" if rate > abort_at else "continue", failed, finished, rate)
