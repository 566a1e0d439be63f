"""What a device publishes about itself: presence (status and its will), the reported state,
events, and where it listens. Pure: documents in, ``Publish`` actions out."""

from __future__ import annotations

from . import topics as T
from .agent_actions import Identity, Publish
from .messages import encode


def will(identity: Identity, session: int) -> Publish:
    return Publish(T.device(identity.device_id, T.STATUS),
                   encode({"online": False, "session": session, "device_id": identity.device_id}), 1, True)


def subscriptions(identity: Identity) -> tuple[str, ...]:
    def own(leaf: str) -> str:
        return T.device(identity.device_id, leaf)
    subs = [own(T.DESIRED), own(T.CMD), own(T.STATUS), own(T.HWTEST), T.alert_wildcard(identity.device_id),
            T.ANNOUNCE]
    for g in identity.groups:
        subs += [T.group(g, T.DESIRED), T.group(g, T.CMD)]
    return tuple(subs)


def status_doc(identity: Identity, session: int, versions: dict, hwtest: dict | None, online: bool = True) -> dict:
    doc = {"online": online, "session": session, "device_id": identity.device_id,
           "groups": list(identity.groups), "site": identity.site, "runtime": identity.runtime_version,
           "versions": versions}
    if hwtest is not None:
        doc["hwtest"] = hwtest
    return doc


def reported_doc(identity: Identity, session: int, versions: dict, installs: dict, settings: dict,
                 settings_error: str | None, desired_revs: dict, alerts: list[str] | None = None,
                 alerts_error: str | None = None) -> dict:
    """`alerts`: the ids of the staff alerts not yet acknowledged (admins read them on exact topics)."""
    return {"device_id": identity.device_id, "session": session, "versions": versions,
            "installs": installs, "settings": settings, "settings_error": settings_error,
            "desired_revs": desired_revs, "alerts": alerts or [], "alerts_error": alerts_error}


def publish_retained(identity: Identity, leaf: str, doc: dict) -> Publish:
    return Publish(T.device(identity.device_id, leaf), encode(doc), 1, True)


def event(identity: Identity, event_name: str, now: float, **fields) -> Publish:
    return Publish(T.device(identity.device_id, T.EVENTS),
                   encode({"event": event_name, "ts": now, "device_id": identity.device_id, **fields}), 1, False)


def telemetry(identity: Identity, record: dict) -> Publish:
    return Publish(T.device(identity.device_id, T.TELEMETRY), encode(record), 0, False)


def is_stale_will(status: dict, online: bool, session: int) -> bool:
    """A will from an older connection overwrote our retained birth (we are online)."""
    return online and not status.get("online") and int(status.get("session", -1)) < session


def hwtest_summary(submission: dict) -> dict:
    """What `fleet status` shows of the board's last hardware test."""
    checks = submission.get("checks") or []
    counts = {k: sum(1 for c in checks if c.get("outcome") == k) for k in ("passed", "failed", "skipped")}
    return {"result": "FAIL" if counts["failed"] else "PASS", **counts, "board": submission.get("board"),
            "time": submission.get("time"), "simulated": bool(submission.get("simulated"))}
