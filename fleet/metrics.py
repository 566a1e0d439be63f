"""The fleet as Prometheus text exposition (format 0.0.4), from what the admin saw of each device:
its status, reported state and last telemetry. Pure: device views and `now` in, text out. A value
that is not a number (or an install state that is not one) is not invented: it is left out and
counted by field (`edge_avatar_metric_values_skipped`).

Names follow Prometheus's conventions: base units in the name (`_seconds`, `_celsius`), counters end
in `_total` (they count since the kiosk started, so they reset when it restarts: `rate()` and
`increase()` handle that), labels carrying text are escaped, and what is text rather than a number
(a version) is an `_info` metric of value 1 with the text in its labels."""

from __future__ import annotations

from collections import Counter

from .install_state import InstallState

# (metric, help, where in the telemetry document); a name ending in _total is a counter
_TELEMETRY = (
    ("edge_avatar_device_load1", "1-minute load average of the board", ("health", "load1")),
    ("edge_avatar_device_disk_free_megabytes", "free disk on the board's root", ("health", "disk_free_mb")),
    ("edge_avatar_device_memory_available_megabytes", "memory available on the board", ("health", "mem_available_mb")),
    ("edge_avatar_device_fps", "frames drawn per second since the last telemetry", ("fps",)),
    ("edge_avatar_device_answers_total", "visitor turns answered since the kiosk started", ("interactions",)),
    ("edge_avatar_device_answers_today", "visitor turns answered since midnight, venue time (0 after a restart)",
     ("answers_today",)),
    ("edge_avatar_device_barge_ins_total", "times a visitor interrupted the avatar since the kiosk started",
     ("barge_ins",)),
    ("edge_avatar_device_errors_total", "errors the kiosk counted since it started", ("errors", "count")),
)

TELEMETRY_FIELDS = _TELEMETRY          # for the console's charts of the same fields
INSTALL_STATES = tuple(s.value for s in InstallState)


def metric_type(name: str) -> str:
    return "counter" if name.endswith("_total") else "gauge"


def _label(value) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _dig(doc: dict, path: tuple[str, ...]):
    for key in path:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def _versions(view) -> dict:
    versions = view.reported.get("versions") or view.status.get("versions") or {}
    return versions if isinstance(versions, dict) else {}


def _info_and_states(devices: list, skipped: Counter) -> tuple[list, list]:
    """(version_info samples, install_state samples): one per device and bundle kind."""
    versions, states = [], []
    for d, v in devices:
        for kind, version in sorted(_versions(v).items()):
            versions.append(({"device": d, "kind": kind, "version": version}, 1.0))
        installs = v.reported.get("installs") or {}
        for kind, record in sorted(installs.items() if isinstance(installs, dict) else ()):
            state = record.get("state") if isinstance(record, dict) else None
            if state in INSTALL_STATES:
                states.append(({"device": d, "kind": kind, "state": state}, 1.0))
            else:
                skipped["installs.state"] += 1
    return versions, states


def render(views: dict, now: float) -> str:
    """`views`: device id -> fleet.admin.DeviceView (status, reported, telemetry, last_seen)."""
    out: list[str] = []
    skipped: Counter = Counter()

    def family(name: str, text: str, samples: list[tuple[dict, float]]) -> None:
        out.extend([f"# HELP {name} {text}", f"# TYPE {name} {metric_type(name)}"])
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
    versions, states = _info_and_states(devices, skipped)
    family("edge_avatar_device_version_info", "the version of each bundle kind installed on the kiosk (value 1)",
           versions)
    family("edge_avatar_device_install_state", "1 for the state of the kiosk's last install of each bundle kind "
           f"(state: {', '.join(INSTALL_STATES)})", states)
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


def metric_names() -> set[str]:
    """Every metric family `render` exports (what a dashboard may query)."""
    text = render({}, 0.0)
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}
