"""Which console runs a rollout, and when another console may call it dead. Pure: times are passed in.

Several consoles may share one PostgreSQL (behind a load balancer). A rollout runs on a thread of the
console that started it (its `owner`, an id made once per console process); that console stamps the
rollout's `heartbeat_at` every `HEARTBEAT_S` while it runs it. A rollout still under way whose owner's
heartbeat is older than `STALE_AFTER_S` (or that has no owner: written before owners were kept) was
left by a console that stopped or crashed: any console marks it failed, with this module's reason."""

from __future__ import annotations

import datetime as dt

from .rollout_state import UNDER_WAY, RolloutState

HEARTBEAT_S = 10.0        # how often the owning console stamps its rollouts under way
STALE_AFTER_S = 60.0      # six missed heartbeats: the owner is gone (a busy console still beats within this)


def owner_id(host: str, pid: int, token: str) -> str:
    """One console process: its host, pid and a random token (a pid is reused after a restart)."""
    return f"{host}:{pid}:{token}"[:64]


def orphaned_reason(state: str, owner: str | None, heartbeat_at: dt.datetime | None, now: dt.datetime,
                    me: str, stale_after_s: float = STALE_AFTER_S) -> str | None:
    """Why this rollout is left by a console that stopped (it is to be marked failed), or None when it is
    finished, ours, or its owner's heartbeat is fresh."""
    if RolloutState(state) not in UNDER_WAY or owner == me:
        return None
    if owner is None or heartbeat_at is None:
        return "the console running it stopped while it was under way (no heartbeat recorded)"
    silent = (now - heartbeat_at).total_seconds()
    if silent <= stale_after_s:
        return None
    return (f"the console running it ({owner}) stopped while it was under way: no heartbeat since "
            f"{heartbeat_at:%Y-%m-%d %H:%M:%S} UTC ({silent:.0f} s, more than {stale_after_s:g} s)")
