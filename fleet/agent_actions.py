"""What the agent core asks its driver to do (actions), who the device is, and what it needs to
know from the installer and the chunk store (Protocols). Data only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from . import topics as T
from .messages import Offer


@dataclass(frozen=True)
class Publish:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False
    correlation: bytes | None = None     # MQTT 5 correlation data on replies


@dataclass(frozen=True)
class Subscribe:
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Unsubscribe:
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Install:
    offer: Offer


@dataclass(frozen=True)
class FetchUrl:
    """Fetch these chunks of the offer over HTTP(S) with Range requests (then `url_fetched`)."""
    offer: Offer
    indices: tuple[int, ...]


@dataclass(frozen=True)
class ApplySettings:
    settings: dict


@dataclass(frozen=True)
class CommandRequest:
    name: str
    args: dict
    reply_topic: str | None
    correlation: bytes | None


@dataclass(frozen=True)
class RunCommand:
    request: CommandRequest


@dataclass(frozen=True)
class Identity:
    device_id: str
    groups: tuple[str, ...] = ()
    site: str = ""
    runtime_version: str = "0.1.0"

    def __post_init__(self):
        T.check_id(self.device_id, "device id")
        for g in self.groups:
            T.check_id(g, "group")


class InstalledState(Protocol):
    def versions(self) -> dict[str, str]: ...
    def was_installed(self, bundle_id: str) -> bool: ...
    def refusal(self, bundle_id: str) -> dict | None: ...


class ChunkStore(Protocol):
    def have(self, bundle_id: str, count: int) -> set[int]: ...
    def put(self, bundle_id: str, index: int, data: bytes) -> None: ...
    def discard(self, bundle_id: str) -> None: ...
