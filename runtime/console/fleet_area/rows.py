"""One devices-table row from what the admin tools saw of a kiosk (fleet.admin.DeviceView). Pure."""

from __future__ import annotations


def _num(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def health_of(online: bool, telemetry: dict, reported: dict) -> str:
    """ok / warn / bad: bad when the kiosk reports a settings error or failed health; warn when it has
    pending staff alerts or errors counted."""
    health = telemetry.get("health") or {}
    if reported.get("settings_error") or health.get("ok") is False:
        return "bad"
    errors = _num((telemetry.get("errors") or {}).get("count")) or 0
    if reported.get("alerts") or errors:
        return "warn"
    return "ok" if online else "-"


def device_row(view, now: float) -> dict:
    """The table's columns: device, site, groups, online, versions (kind -> version), health, hwtest,
    last_seen (epoch s), age_s, fps, answers (today's: answered since the venue's midnight, the kiosk's
    `answers_today`; None from a kiosk that does not send it), errors."""
    status, reported, telemetry = view.status, view.reported, view.telemetry
    versions = reported.get("versions") or status.get("versions") or {}
    hw = status.get("hwtest") or {}
    errors = _num((telemetry.get("errors") or {}).get("count"))
    return {"device": view.device_id, "site": str(status.get("site", "")),
            "groups": list(status.get("groups") or []), "online": view.online,
            "versions": {str(k): str(v) for k, v in sorted(versions.items())},
            "health": health_of(view.online, telemetry, reported),
            "hwtest": hw.get("result", ""), "last_seen": round(view.last_seen, 1),
            "fps": _num(telemetry.get("fps")), "answers": _num(telemetry.get("answers_today")),
            "errors": errors if errors is not None else 0}
