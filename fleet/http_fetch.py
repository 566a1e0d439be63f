"""Fetch an offer's chunks from its HTTP(S) ``url`` with Range requests (a CDN or the venue's own
server), each checked against its sha256 and kept, so a dropped download resumes where it stopped."""

from __future__ import annotations

import hashlib
import logging
import urllib.error
import urllib.request
from typing import Callable

from .messages import Offer

_LOGGER = logging.getLogger(__name__)


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
        request = urllib.request.Request(offer.url, headers={"Range": f"bytes={first}-{last}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                if response.status != 206:
                    return f"{offer.url}: answered {response.status} to a Range request (expected 206)"
                data = response.read(last - first + 2)
        except (urllib.error.URLError, OSError) as err:
            return f"{offer.url}: {err}"
        if hashlib.sha256(data).hexdigest() != offer.chunks[i]:
            return f"{offer.url}: bytes {first}-{last} do not match chunk {i}'s hash"
        store.put(offer.bundle_id, i, data)
        if on_chunk is not None:
            on_chunk(i)
    return None
