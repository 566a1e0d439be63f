"""Commands to a device: request/response over MQTT (parse, expiry, where to answer, the reply).
Pure: payload and time in, a request or a refusal out."""

from __future__ import annotations

from dataclasses import dataclass

from . import topics as T
from .agent_actions import CommandRequest, Publish
from .messages import decode, encode

RUNTIME_COMMANDS = ("restart", "reload", "set-volume", "say", "collect-logs")
AGENT_COMMANDS = ("rollback", "status", "reconcile", "revoke")
KNOWN_COMMANDS = AGENT_COMMANDS + RUNTIME_COMMANDS


@dataclass(frozen=True)
class Refusal:
    code: int
    message: str


def parse_command(topic: str, payload: bytes, now: float, correlation: bytes | None,
                  response_topic: str | None) -> tuple[CommandRequest, Refusal | None]:
    """The request (answerable only under ``replies/``) and, if it cannot run, why not."""
    raw = decode(topic, payload)
    reply_to = response_topic or raw.get("reply_to")
    if correlation is None and raw.get("correlation") is not None:
        correlation = str(raw["correlation"]).encode()
    if not isinstance(reply_to, str) or not reply_to.startswith(f"{T.ROOT}/replies/"):
        reply_to = None            # answer only where the ACL lets devices answer
    args = raw.get("args") or {}
    request = CommandRequest(str(raw.get("name", "")), args if isinstance(args, dict) else {}, reply_to,
                             correlation)
    if not isinstance(args, dict):
        return request, Refusal(400, f"{topic}: args: expected an object")
    expires_at = raw.get("expires_at")
    if expires_at is not None and not isinstance(expires_at, (int, float)):
        return request, Refusal(400, f"{topic}: expires_at: expected a UNIX time in seconds")
    if expires_at is not None and now > float(expires_at):
        return request, Refusal(408, "expired before it reached the device")
    if request.name not in KNOWN_COMMANDS:
        return request, Refusal(404, f"unknown command {request.name!r}; known: {', '.join(KNOWN_COMMANDS)}")
    return request, None


def reply(device_id: str, request: CommandRequest, code: int, message: str, data=None) -> list:
    """The answer on the admin's reply topic; nothing if the request named none."""
    if not request.reply_topic:
        return []
    body = {"device_id": device_id, "command": request.name, "code": code, "message": message}
    if request.correlation is not None:
        body["correlation"] = request.correlation.decode("utf-8", "replace")
    if data is not None:
        body["data"] = data
    return [Publish(T.reply(request.reply_topic, device_id), encode(body), 1, False, request.correlation)]
