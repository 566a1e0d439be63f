"""Server-sent events from a ChangeFeed: a Flask streaming response, one `event: rows` per change
(JSON: {"seq", "full", "rows"}) and a comment every `keepalive_s` so proxies keep the line open.

Each open stream holds one waitress thread (the console is served with enough: cli.py --threads)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from flask import Response, current_app, request

from .feed import ChangeFeed

WAKE_S = 1.0        # a stream looks up at least this often (is the console closing? a keep-alive due?)


def stream(feed: ChangeFeed, shape: Callable[[dict], dict] = lambda r: r, keepalive_s: float = 15.0,
           max_s: float = 3600.0, keys: set[str] | None = None) -> Response:
    """The client resumes from Last-Event-ID after a reconnect (EventSource sends it by itself).
    `keys`: send only these rows (one device's page)."""
    start = request.headers.get("Last-Event-ID", "")
    seq = int(start) if start.isdigit() else -1

    closing = current_app.extensions.get("console_closing")

    def events() -> Iterator[str]:
        nonlocal seq
        opened = quiet_since = time.monotonic()
        yield "retry: 2000\n\n"
        while time.monotonic() - opened < max_s and not (closing and closing.is_set()):
            new, rows, full = feed.since(seq) if seq >= 0 else (*feed.snapshot(), True)
            if keys is not None:
                rows = {k: v for k, v in rows.items() if k in keys}
            if full or rows:
                body = {"seq": new, "full": full,
                        "rows": {k: (shape(v) if v is not None else None) for k, v in rows.items()}}
                yield f"id: {new}\nevent: rows\ndata: {json.dumps(body, ensure_ascii=False)}\n\n"
                quiet_since = time.monotonic()
            seq = new
            if not feed.wait(seq, WAKE_S) and time.monotonic() - quiet_since >= keepalive_s:
                quiet_since = time.monotonic()
                yield ": keep-alive\n\n"

    return Response(events(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
