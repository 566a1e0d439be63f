"""The console's one long-lived connection to the fleet broker (`FleetService`), chosen once at
start-up (`open_fleet_service`, logged): `MqttFleetService` over fleet.admin.FleetAdmin, or
`NoBroker` when the console runs without --broker. The test double is `FakeFleetService`
(tests feed it device views). Pages never touch paho: they read the `feed` and call these methods."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from pathlib import Path
from typing import Protocol

from fleet.admin import DeviceView, FleetAdmin
from fleet.broker import BrokerConfig
from fleet.errors import FleetError

from ..live.feed import ChangeFeed
from .rows import device_row

log = logging.getLogger(__name__)
EVENTS_KEPT = 5000     # fleet events kept in memory (the device page shows each device's last 20)
REMEMBERED = ("site", "groups", "versions", "hwtest", "runtime")
HISTORY = 240          # telemetry samples kept per device in memory (Prometheus keeps the long history)


class FleetService(Protocol):
    feed: ChangeFeed
    connected: bool

    def views(self) -> dict[str, DeviceView]: ...
    def history(self, device_id: str) -> list[dict]: ...
    def events(self, device_id: str, limit: int = 20) -> list[dict]: ...
    def command(self, device_id: str, name: str, args: dict, timeout: float = 10.0) -> list[dict]: ...
    def admin(self) -> FleetAdmin: ...
    def close(self) -> None: ...


class _Views:
    """What every service shares: device views -> feed rows, telemetry history."""

    def __init__(self):
        self.feed = ChangeFeed()
        self._history: dict[str, deque] = {}
        self._seen_telemetry: dict[str, int] = {}
        self._known: dict[str, dict] = {}

    def _refresh(self, views: dict[str, DeviceView], now: float) -> None:
        for d, v in views.items():
            if v.telemetry and id(v.telemetry) != self._seen_telemetry.get(d):
                self._seen_telemetry[d] = id(v.telemetry)
                self._history.setdefault(d, deque(maxlen=HISTORY)).append({"t": now, **v.telemetry})
        self.feed.publish({d: device_row(v, now) for d, v in views.items()})

    def _remembered(self, device_id: str, status: dict) -> dict:
        """A kiosk's will says only that it went offline: its site, groups, versions and hardware-test
        result are kept from its last birth, so an offline kiosk stays in its group (and its rollout)."""
        known = self._known.setdefault(device_id, {})
        known.update({k: status[k] for k in REMEMBERED if k in status})
        return {**known, **status}

    def history(self, device_id: str) -> list[dict]:
        return list(self._history.get(device_id, ()))

    def events(self, device_id: str, limit: int = 20) -> list[dict]:
        """The device's last events (installs, rollbacks, alerts), newest first."""
        return [e for e in reversed(self._events()) if e.get("device_id") == device_id][:limit]

    def _events(self) -> list[dict]:
        return []


class MqttFleetService(_Views):
    def __init__(self, broker: BrokerConfig, refresh_s: float = 0.5):
        super().__init__()
        self._admin = FleetAdmin(broker, admin_id=None)
        self.connected = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(refresh_s,), name="console-fleet", daemon=True)
        self._thread.start()

    def _loop(self, refresh_s: float) -> None:
        self._admin.discover(settle_s=0.5, timeout=2.0)
        asked = time.monotonic()
        while not self._stop.is_set():
            self._refresh(self.views(), time.time())
            with self._admin._lock:
                del self._admin.replies[:-1000]             # FleetAdmin keeps every reply: the console bounds it
            if time.monotonic() - asked > 300:           # a device whose birth we missed shows up within 5 min
                self._admin._announce()
                asked = time.monotonic()
            self._admin.wait_until(lambda: self._stop.is_set(), refresh_s)

    def views(self) -> dict[str, DeviceView]:
        with self._admin._lock:
            return {d: DeviceView(d, self._remembered(d, v.status), v.reported, v.telemetry, v.last_seen)
                    for d, v in self._admin.devices.items()}

    def _events(self) -> list[dict]:
        with self._admin._lock:
            del self._admin.events[:-EVENTS_KEPT]          # FleetAdmin keeps every event: the console bounds it
            return list(self._admin.events)

    def command(self, device_id: str, name: str, args: dict, timeout: float = 10.0) -> list[dict]:
        return self._admin.command(("device", device_id), name, args, timeout=timeout)

    def admin(self) -> FleetAdmin:
        return self._admin

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._admin.close()


class NoBroker(_Views):
    """The console without --broker: the Fleet area shows no devices and says why."""
    connected = False

    def views(self) -> dict[str, DeviceView]:
        return {}

    def command(self, device_id: str, name: str, args: dict, timeout: float = 10.0) -> list[dict]:
        raise FleetError("no broker: start the console with --broker mqtt://host:port")

    def admin(self) -> FleetAdmin:
        raise FleetError("no broker: start the console with --broker mqtt://host:port")

    def close(self) -> None:
        pass


class FakeFleetService(_Views):
    """Test double: `set_views` what the broker would have told; commands answered by `replies`."""
    connected = True

    def __init__(self):
        super().__init__()
        self._views: dict[str, DeviceView] = {}
        self.commands: list[tuple[str, str, dict]] = []
        self.fake_events: list[dict] = []
        self.reply = {"code": 200, "message": "ok"}

    def _events(self) -> list[dict]:
        return self.fake_events

    def set_views(self, views: dict[str, DeviceView], now: float | None = None) -> None:
        self._views = {d: DeviceView(d, self._remembered(d, v.status), v.reported, v.telemetry, v.last_seen)
                       for d, v in views.items()}
        self._refresh(self._views, time.time() if now is None else now)

    def views(self) -> dict[str, DeviceView]:
        return dict(self._views)

    def command(self, device_id: str, name: str, args: dict, timeout: float = 10.0) -> list[dict]:
        self.commands.append((device_id, name, args))
        return [{"device_id": device_id, **self.reply}]

    def admin(self) -> FleetAdmin:
        raise FleetError("the fake fleet has no broker")

    def close(self) -> None:
        pass


def open_fleet_service(broker_url: str | None, credentials: Path | None = None) -> FleetService:
    if not broker_url:
        log.info("console fleet: no --broker, the Fleet area shows no devices")
        return NoBroker()
    service = MqttFleetService(BrokerConfig.from_args(broker_url, credentials))
    log.info("console fleet: connected to %s as %s", broker_url, service.admin().session)
    return service
