"""JSON documents on fleet topics: offers, desired state, commands (pure parsing, clear errors)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from .bundle_manifest import KINDS
from .errors import FleetError


class MessageError(FleetError):
    """A fleet message that is not what its topic promises (names topic and field)."""


def decode(topic: str, payload: bytes) -> dict:
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise MessageError(f"{topic}: expected a JSON object ({err})") from None
    if not isinstance(data, dict):
        raise MessageError(f"{topic}: expected a JSON object, got {type(data).__name__}")
    return data


def encode(data: dict) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Offer:
    """A bundle offered for a kind: its id (sha256 of the file), size and chunk hashes."""
    bundle_id: str
    kind: str
    version: str
    size: int
    chunk_size: int
    chunks: tuple[str, ...]
    url: str | None = None

    def as_json(self) -> dict:
        out = {"bundle_id": self.bundle_id, "kind": self.kind, "version": self.version, "size": self.size,
               "chunk_size": self.chunk_size, "chunks": list(self.chunks)}
        if self.url:
            out["url"] = self.url
        return out

    @classmethod
    def parse(cls, raw, where: str) -> "Offer":
        if not isinstance(raw, dict):
            raise MessageError(f"{where}: expected an offer object")
        try:
            offer = cls(str(raw["bundle_id"]), str(raw["kind"]), str(raw["version"]), int(raw["size"]),
                        int(raw["chunk_size"]), tuple(str(c) for c in raw["chunks"]), raw.get("url"))
        except (KeyError, TypeError, ValueError) as err:
            raise MessageError(f"{where}: expected bundle_id, kind, version, size, chunk_size, chunks "
                               f"({type(err).__name__}: {err})") from None
        if offer.kind not in KINDS:
            raise MessageError(f"{where}.kind: expected one of {', '.join(KINDS)}")
        if len(offer.bundle_id) != 64 or offer.chunk_size <= 0 or offer.size <= 0:
            raise MessageError(f"{where}: bundle_id must be 64 hex digits, size and chunk_size positive")
        if len(offer.chunks) != math.ceil(offer.size / offer.chunk_size):
            raise MessageError(f"{where}.chunks: {len(offer.chunks)} hashes for {offer.size} bytes in "
                               f"{offer.chunk_size}-byte chunks")
        return offer


@dataclass(frozen=True)
class Desired:
    """Retained desired state for a device or a group. ``bundles[kind] = None`` clears a kind."""
    rev: int = 0
    bundles: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"rev": self.rev, "bundles": {k: (o.as_json() if o else None) for k, o in self.bundles.items()},
                "settings": self.settings}

    @classmethod
    def parse(cls, topic: str, payload: bytes) -> "Desired":
        if not payload:
            return cls()
        raw = decode(topic, payload)
        bundles = {}
        for kind, offer in (raw.get("bundles") or {}).items():
            bundles[kind] = None if offer is None else Offer.parse(offer, f"{topic}: bundles.{kind}")
            if offer is not None and bundles[kind].kind != kind:
                raise MessageError(f"{topic}: bundles.{kind} offers a {bundles[kind].kind} bundle")
        settings = raw.get("settings") or {}
        if not isinstance(settings, dict):
            raise MessageError(f"{topic}: settings: expected an object of setting: value")
        return cls(int(raw.get("rev", 0)), bundles, settings)


def merge_desired(layers: list[Desired]) -> tuple[dict, dict]:
    """Groups first, then the device: later layers win per kind and per setting."""
    bundles, settings = {}, {}
    for layer in layers:
        bundles.update(layer.bundles)
        settings.update(layer.settings)
    return {k: v for k, v in bundles.items() if v is not None}, {k: v for k, v in settings.items() if v is not None}
