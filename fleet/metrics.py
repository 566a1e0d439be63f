"""The fleet as Prometheus text exposition (format 0.0.4), from what the admin saw of each device:
its status, reported state and last telemetry. Pure: device views and `now` in, text out. A value
that is not a number is not invented: it is left out and counted by field
(`edge_avatar_metric_values_skipped`)."""

from __future__ import annotations

from collections import Counter

# (metric, help, where in the telemetry document)
_TELEMETRY = (
    ("edge_avatar_device_load1", "1-minute load average of the board", ("health", "load1")),
    ("edge_avatar_device_disk_free_megabytes", "free disk on the board's root", ("health", "disk_free_mb")),
    ("edge_avatar_device_memory_available_megabytes", "memory available on the board", ("health", "mem_available_mb")),
    ("edge_avatar_device_fps", "frames drawn per second since the last telemetry", ("fps",)),
    ("edge_avatar_device_interactions", "visitor turns answered since the kiosk started", ("interactions",)),
    ("edge_avatar_device_answers_today", "visitor turns answered since midnight, venue time (0 after a restart)",
     ("answers_today",)),
    ("edge_avatar_device_errors", "errors the kiosk counted since it started", ("errors", "count")),
)


TELEMETRY_FIELDS = _TELEMETRY          # for the console's charts of the same fields


def _label(value) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _dig(doc: dict, path: tuple[str, ...]):
    for key in path:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def render(views: dict, now: float) -> str:
    """`views`: device id -> fleet.admin.DeviceView (status, reported, telemetry, last_seen)."""
    out: list[str] = []
    skipped: Counter = Counter()

    def family(name: str, text: str, samples: list[tuple[dict, float]]) -> None:
        out.extend([f"# HELP {name} {text}", f"# TYPE {name} gauge"])
        for labels, value in samples:
            inner = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
            out.append(f"{name}{{{inner}}} {value:g}" if inner else f"{name} {value:g}")

    devices = sorted(views.items())
    family("edge_avatar_devices", "kiosks the admin knows of", [({}, float(len(devices)))])
    family("edge_avatar_device_online", "1 if the kiosk's last status says it is online",
           [({"device": d, "site": v.status.get("site", "")}, 1.0 if v.online else 0.0) for d, v in devices])
    family("edge_avatar_device_last_seen_age_seconds", "seconds since the admin last heard from the kiosk",
           [({"device": d}, round(now - v.last_seen, 1)) for d, v in devices if v.last_seen])
    family("edge_avatar_device_staff_alerts_pending", "staff alerts not yet acknowledged",
           [({"device": d}, float(len(v.reported.get("alerts") or []))) for d, v in devices if v.reported])
    temps = []
    for d, v in devices:
        for sensor, value in sorted((_dig(v.telemetry, ("health", "temps_c")) or {}).items()):
            if (n := _number(value)) is None:
                skipped["temps_c"] += 1
            else:
                temps.append(({"device": d, "sensor": sensor}, n))
    family("edge_avatar_device_temperature_celsius", "board temperatures", temps)
    for name, text, path in _TELEMETRY:
        samples = []
        for d, v in devices:
            value = _dig(v.telemetry, path)
            if value is None:
                continue
            if (n := _number(value)) is None:
                skipped[".".join(path)] += 1
            else:
                samples.append(({"device": d}, n))
        family(name, text, samples)
    family("edge_avatar_metric_values_skipped", "telemetry values left out because they are not numbers",
           [({"field": f}, float(n)) for f, n in sorted(skipped.items())])
    return "\n".join(out) + "\n"
