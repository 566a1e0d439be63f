"""The fleet's MQTT topic layout (see docs/fleet-protocol.md). Pure: names only, no I/O.

Everything lives under ``edge-avatar/``. A device writes only below its own
``devices/<id>/`` (and its reply topics); it reads its own desired state and commands, its
groups' desired state and commands, bundle chunks and the fleet-wide announce request.
Identifiers are restricted to ``[A-Za-z0-9_-]`` so topics are valid on every broker
(RabbitMQ maps ``/`` to ``.`` internally, so a dot in a segment would be ambiguous there).
"""

from __future__ import annotations

import re

ROOT = "edge-avatar"
ANNOUNCE = f"{ROOT}/fleet/announce"          # admins ask every device to re-publish its birth
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# what a device publishes below devices/<id>/
STATUS, REPORTED, TELEMETRY, EVENTS, HWTEST = "status", "reported", "telemetry", "events", "hwtest"
DESIRED, CMD = "desired", "cmd"               # what admins publish for it
ALERTS = "alerts"                             # devices/<id>/alerts/<alert_id>: staff alerts, retained until cleared


class TopicError(ValueError):
    pass


def check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise TopicError(f"{what} {value!r}: expected 1-64 characters of A-Z a-z 0-9 _ -")
    return value


def device(device_id: str, leaf: str) -> str:
    return f"{ROOT}/devices/{check_id(device_id, 'device id')}/{leaf}"


def group(group_name: str, leaf: str) -> str:
    return f"{ROOT}/groups/{check_id(group_name, 'group')}/{leaf}"


def device_wildcard(leaf: str) -> str:
    return f"{ROOT}/devices/+/{leaf}"


def alert(device_id: str, alert_id: str) -> str:
    """A staff alert: retained until an admin clears it (an empty retained message = acknowledged)."""
    return f"{device(device_id, ALERTS)}/{check_id(alert_id, 'alert id')}"


def alert_wildcard(device_id: str | None = None) -> str:
    """Every alert of one device (what its agent subscribes to), or of the fleet (None)."""
    return f"{ROOT}/devices/{'+' if device_id is None else check_id(device_id, 'device id')}/{ALERTS}/+"


def parse_alert_topic(topic: str) -> tuple[str, str] | None:
    """``edge-avatar/devices/<id>/alerts/<alert_id>`` -> (id, alert_id), anything else -> None."""
    parts = topic.split("/")
    if len(parts) == 5 and parts[0] == ROOT and parts[1] == "devices" and parts[3] == ALERTS:
        return parts[2], parts[4]
    return None


def chunk(bundle_id: str, index: int) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", bundle_id):
        raise TopicError(f"bundle id {bundle_id!r}: expected the bundle's sha256 (64 hex digits)")
    return f"{ROOT}/bundles/{bundle_id}/{index}"


def reply(prefix: str, device_id: str) -> str:
    """Where a device answers a command: the admin's reply prefix + its own id (so the ACL can
    let a device write ``replies/+/<its id>`` and nobody can answer in another device's name)."""
    return f"{prefix}/{device_id}"


def reply_prefix(admin_session: str) -> str:
    return f"{ROOT}/replies/{check_id(admin_session, 'admin session')}"


def parse_device_topic(topic: str) -> tuple[str, str] | None:
    """``edge-avatar/devices/<id>/<leaf>`` -> (id, leaf), anything else -> None."""
    parts = topic.split("/")
    if len(parts) == 4 and parts[0] == ROOT and parts[1] == "devices":
        return parts[2], parts[3]
    return None
