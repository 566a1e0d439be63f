"""Desired-state reconciliation: the retained desired documents (groups first, then the
device), the settings they ask for, and what to do about each offered bundle. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import topics as T
from .agent_actions import ApplySettings, Identity, InstalledState
from .install_state import InstallState
from .messages import Desired, Offer, merge_desired


class DesiredState:
    def __init__(self):
        self.by_topic: dict[str, Desired] = {}
        self.settings_applied: dict = {}
        self.settings_error: str | None = None
        self._settings_tried: dict | None = None

    def update(self, topic: str, payload: bytes) -> None:
        self.by_topic[topic] = Desired.parse(topic, payload)

    def merged(self, identity: Identity) -> tuple[dict[str, Offer], dict]:
        """(bundles by kind, settings): the device's own layer wins over its groups'."""
        order = [T.group(g, T.DESIRED) for g in identity.groups] + [T.device(identity.device_id, T.DESIRED)]
        return merge_desired([self.by_topic[t] for t in order if t in self.by_topic])

    def settings_change(self, settings: dict) -> ApplySettings | None:
        """Settings to apply: new ones, not yet applied nor already tried."""
        if settings == self.settings_applied or settings == self._settings_tried:
            return None
        self._settings_tried = settings
        return ApplySettings(dict(settings))

    def settings_finished(self, settings: dict, error: str | None) -> None:
        if error is None:
            self.settings_applied, self.settings_error = settings, None
        else:
            self.settings_error = error

    def revs(self) -> dict[str, int]:
        return {topic: d.rev for topic, d in sorted(self.by_topic.items())}


@dataclass(frozen=True)
class OfferVerdict:
    state: InstallState | None             # None: nothing to record (a version since replaced)
    details: dict = field(default_factory=dict)
    announce: bool = False                 # a refusal decided now: also an event


def judge_offer(kind: str, offer: Offer, installed: InstalledState, versions: dict[str, str],
                max_bundle_bytes: int) -> OfferVerdict:
    """What to do about an offered bundle that is not queued, downloading or installing."""
    if installed.was_installed(offer.bundle_id):
        return OfferVerdict(InstallState.COMMITTED if versions.get(kind) == offer.version else None)
    refused = installed.refusal(offer.bundle_id)
    if refused:
        state = InstallState.ROLLED_BACK if refused.get("reason") == "rolled-back" else InstallState.REJECTED
        return OfferVerdict(state, refused)
    if offer.size > max_bundle_bytes:
        return OfferVerdict(InstallState.REJECTED, {"reason": "too-large", "detail": f"{offer.size} bytes offered; "
                                                    f"at most {max_bundle_bytes}"}, announce=True)
    return OfferVerdict(InstallState.QUEUED)
