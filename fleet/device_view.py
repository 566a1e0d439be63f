"""What the admin knows of one device: its retained status and report, its last telemetry."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DeviceView:
    device_id: str
    status: dict = field(default_factory=dict)
    reported: dict = field(default_factory=dict)
    telemetry: dict = field(default_factory=dict)
    last_seen: float = 0.0

    @property
    def online(self) -> bool:
        return bool(self.status.get("online"))

    @property
    def known(self) -> bool:
        """Both its documents are in: its status (groups, site) and its report (versions, installs).
        On a cluster they come through different nodes, so one may be here before the other; a
        device known by its report alone is not yet a member of its groups."""
        return bool(self.status) and bool(self.reported)

    def as_json(self) -> dict:
        return {"device_id": self.device_id, "online": self.online, "site": self.status.get("site", ""),
                "groups": self.status.get("groups", []), "session": self.status.get("session"),
                "versions": self.reported.get("versions") or self.status.get("versions") or {},
                "installs": self.reported.get("installs", {}), "health": self.telemetry.get("health", {}),
                "hwtest": self.status.get("hwtest"), "last_seen": self.last_seen,
                "settings_error": self.reported.get("settings_error"), "alerts": self.reported.get("alerts") or []}
