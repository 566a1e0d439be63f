"""Fetch an offer's chunks from its HTTP(S) ``url`` with Range requests (a CDN or the venue's own
server), each checked against its sha256 and kept, so a dropped download resumes where it stopped:
a chunk whose body is cut off is asked for again from its first missing byte, and the chunks already
kept are not fetched again by the next call."""

from __future__ import annotations

import hashlib
import http.client
import logging
import urllib.error
import urllib.request
from typing import Callable

from .messages import Offer

_LOGGER = logging.getLogger(__name__)
RESUMES_PER_CHUNK = 4          # a body cut off this many times, each with some progress, is given up


def _fetch_range(url: str, first: int, last: int, timeout_s: float) -> bytes | str:
    """Bytes first..last (inclusive), resuming a cut-off body from where it stopped; or what went wrong."""
    data = b""
    for _ in range(1 + RESUMES_PER_CHUNK):
        start = first + len(data)
        request = urllib.request.Request(url, headers={"Range": f"bytes={start}-{last}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                if response.status != 206:
                    return f"{url}: answered {response.status} to a Range request (expected 206)"
                where = (response.headers.get("Content-Range") or f"bytes {start}-").removeprefix("bytes ")
                if not where.startswith(f"{start}-"):
                    return f"{url}: answered Content-Range {where!r} to bytes={start}-{last}"
                part = response.read(last - start + 2)           # one byte more: a body too long is seen
        except http.client.IncompleteRead as err:
            part = err.partial
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
            return f"{url}: {err}"
        if not part:
            return f"{url}: bytes {start}-{last}: the body ended with nothing"
        data += part
        if len(data) >= last - first + 1:
            return data
        _LOGGER.info("%s: body cut off at byte %d of %d-%d; resuming", url, first + len(data), first, last)
    return f"{url}: bytes {first}-{last}: cut off {RESUMES_PER_CHUNK + 1} times"


def fetch_ranges(offer: Offer, indices: tuple[int, ...], store, timeout_s: float = 30.0,
                 on_chunk: Callable[[int], None] | None = None) -> str | None:
    """None when every asked chunk arrived and matched; otherwise what went wrong (the caller falls back).
    `on_chunk(index)` is called after each chunk is kept, so the download's progress can be reported
    while it runs (a slow venue link must not look stuck)."""
    if not (offer.url or "").startswith(("https://", "http://")):
        return f"url {offer.url!r}: expected http:// or https://"
    for i in indices:
        first = i * offer.chunk_size
        last = min(offer.size, first + offer.chunk_size) - 1
        data = _fetch_range(offer.url, first, last, timeout_s)
        if isinstance(data, str):
            return data
        if hashlib.sha256(data).hexdigest() != offer.chunks[i]:
            return f"{offer.url}: bytes {first}-{last} do not match chunk {i}'s hash"
        store.put(offer.bundle_id, i, data)
        if on_chunk is not None:
            on_chunk(i)
    return None
