"""Fleet errors. A rejected bundle carries a machine-readable reason the admin sees."""

from __future__ import annotations

from runtime.shared.errors import EdgeAvatarError


class FleetError(EdgeAvatarError):
    """A fleet problem explained in one line (broker, key, bundle, target...)."""


# why a device refuses a bundle; reported to the admin as `reason`
REJECTION_REASONS = {
    "bad-signature": "the manifest signature does not verify",
    "no-signature": "the bundle has no manifest signature",
    "untrusted-key": "signed by a key this device does not trust",
    "tampered": "a file differs from the signed manifest, or is missing or unlisted",
    "expired": "the manifest's expiry date has passed",
    "downgrade": "older than the installed version",
    "already-installed": "this version is already installed",
    "unsafe-path": "a path escapes the bundle, or an entry is a link or device",
    "too-large": "over the device's size limit",
    "bad-manifest": "the manifest is missing or malformed",
    "incompatible": "needs a newer runtime, or a different kind than offered",
    "download-failed": "a chunk did not match its hash or never arrived",
    "health-check-failed": "the runtime did not pass its self-test on the new version (rolled back)",
    "interrupted": "the install was interrupted twice (power loss or crash); not retried",
    "rights-missing": "a character, voice, model or content bundle without a rights record (rights.yaml)",
    "rights-unsigned": "the rights record is not signed, or not by a key this device trusts",
    "rights-invalid": "the rights record is malformed, or names another asset kind",
    "rights-out-of-scope": "the consent does not cover this kiosk's venue, region or purposes",
    "rights-expired": "the consent has ended, or has not started yet",
    "rights-revoked": "a fleet admin revoked this asset",
}


class BundleRejected(FleetError):
    def __init__(self, reason: str, detail: str):
        assert reason in REJECTION_REASONS, reason
        super().__init__(f"bundle rejected ({reason}): {detail}")
        self.reason = reason
        self.detail = detail
