"""Staff alerts on a device: raised by the kiosk, published retained on
``devices/<id>/alerts/<alert_id>``, acknowledged when an admin clears that retained message.

``AlertBook`` is pure (time is passed in; the file is behind the ``AlertStore`` Protocol): it keeps
every alert not yet acknowledged, in its store after every change, and answers with ``Publish``
actions. An alert raised while the broker is away is only kept; every connection publishes all
of them again (retained, so a repeat changes nothing). The device subscribes to its own alerts: its
copy coming back means the broker holds it (published); an empty message on it means someone
cleared it (acknowledged), and it leaves the file.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import deque
from dataclasses import asdict, dataclass
from typing import Protocol

from . import topics as T
from .agent_actions import Publish
from .alert_state import AlertState, IllegalAlertMove, advance
from .errors import FleetError
from .messages import MessageError, decode, encode

_LOGGER = logging.getLogger(__name__)
FILE_VERSION = 1
MAX_TEXT = 500                # characters of a transcript or cue kept in an alert
REMEMBER_ACKNOWLEDGED = 64    # acknowledged ids kept in memory, to clear a copy that raced the clear


class AlertStore(Protocol):
    name: str                                    # what an error names: the file

    def load(self) -> dict | None: ...           # raises FleetError naming the file when unreadable
    def save(self, doc: dict) -> None: ...       # raises OSError when the disk refuses
    def set_aside(self): ...                     # keep a bad file for a person; its new name, or None


class MemoryAlertStore:
    """An alert store without a disk (the simulator's devices, unit tests)."""

    def __init__(self, doc: dict | None = None, name: str = "memory"):
        self.doc = doc
        self.name = name
        self.saves = 0

    def load(self) -> dict | None:
        return self.doc

    def save(self, doc: dict) -> None:
        self.doc = doc
        self.saves += 1

    def set_aside(self):
        return None


@dataclass(frozen=True)
class Alert:
    """One staff alert; its fields are the retained payload."""
    id: str
    kind: str
    lang: str
    cue: str
    transcript: str
    device: str
    venue_time: str
    raised_at: str

    def payload(self) -> dict:
        return asdict(self)

    @classmethod
    def from_event(cls, event: dict, device: str, alert_id: str, raised_at: str) -> Alert:
        """From the kiosk's `staff-alert` event (kind, lang, cue, transcript, venue_time)."""
        def text(key: str) -> str:
            value = event.get(key)
            return "" if value is None else str(value)[:MAX_TEXT]
        return cls(alert_id, text("kind"), text("lang"), text("cue"), text("transcript"), device,
                   text("venue_time"), raised_at)

    @classmethod
    def parse(cls, raw, where: str) -> Alert:
        if not isinstance(raw, dict):
            raise MessageError(f"{where}: expected an alert object")
        values = {}
        for name in cls.__dataclass_fields__:
            value = raw.get(name)
            if not isinstance(value, str):
                raise MessageError(f"{where}: {name}: expected text, got {type(value).__name__}")
            values[name] = value
        try:
            T.check_id(values["id"], "alert id")
            T.check_id(values["device"], "device id")
        except T.TopicError as err:
            raise MessageError(f"{where}: {err}") from None
        return cls(**values)


def alert_id(now: float, seq: int) -> str:
    """Sortable and unique on its device: UTC time to the millisecond, then the device's counter
    (kept in the alert file, so a clock set back after a restart cannot repeat an id)."""
    t = dt.datetime.fromtimestamp(now, dt.timezone.utc)
    return f"{t:%Y%m%dT%H%M%S}{t.microsecond // 1000:03d}Z-{seq:06d}"


def utc_iso(now: float) -> str:
    return dt.datetime.fromtimestamp(now, dt.timezone.utc).isoformat(timespec="milliseconds")


def _seq_of(alert_id_: str) -> int:
    tail = alert_id_.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class AlertBook:
    def __init__(self, device_id: str, store: AlertStore):
        self.device_id = device_id
        self.store = store
        self.next_seq = 1
        self.problems = 0                     # bad files or entries, failed saves, illegal moves: each logged
        self.last_problem: str | None = None
        self._states: dict[str, AlertState] = {}
        self._alerts: dict[str, Alert] = {}
        self._acknowledged: deque[str] = deque(maxlen=REMEMBER_ACKNOWLEDGED)
        self._load()

    # ---- what is kept --------------------------------------------------------------------------
    @property
    def pending(self) -> list[Alert]:
        """Every alert not yet acknowledged, oldest first."""
        return [self._alerts[i] for i in sorted(self._alerts)]

    def state(self, alert_id_: str) -> AlertState | None:
        if alert_id_ in self._acknowledged and alert_id_ not in self._states:
            return AlertState.ACKNOWLEDGED
        return self._states.get(alert_id_)

    def _problem(self, message: str) -> None:
        self.problems += 1
        self.last_problem = message
        _LOGGER.error("%s", message)

    # ---- the kiosk raises one ------------------------------------------------------------------
    def raise_alert(self, event: dict, now: float, online: bool) -> list[Publish]:
        """Kept (on disk) at once; published now if connected, else at the next connection."""
        alert = Alert.from_event(event, self.device_id, alert_id(now, self.next_seq), utc_iso(now))
        self.next_seq += 1
        self._alerts[alert.id], self._states[alert.id] = alert, AlertState.RAISED
        self._save()
        _LOGGER.warning("staff alert %s (%s, %r): %s", alert.id, alert.kind, alert.transcript,
                        "published" if online else "kept until the fleet broker is back")
        return [self._publish(alert)] if online else []

    def republish(self) -> list[Publish]:
        """On every connection: each alert not yet acknowledged, again (retained: idempotent)."""
        return [self._publish(a) for a in self.pending]

    def _publish(self, alert: Alert) -> Publish:
        return Publish(T.alert(self.device_id, alert.id), encode(alert.payload()), 1, True)

    # ---- what comes back on devices/<id>/alerts/+ ----------------------------------------------
    def message(self, topic: str, alert_id_: str, payload: bytes) -> tuple[list[Publish], bool]:
        """(actions, whether the pending list changed). MessageError for a payload that is no alert."""
        if not payload:
            return [], self._cleared(alert_id_)
        alert = Alert.parse(decode(topic, payload), topic)
        if alert.id != alert_id_ or alert.device != self.device_id:
            raise MessageError(f"{topic}: an alert of {alert.device}/{alert.id} on the wrong topic")
        if alert_id_ in self._states:
            self._move(alert_id_, AlertState.PUBLISHED)
            return [], False
        if alert_id_ in self._acknowledged:       # a re-publication reached the broker after the clear
            _LOGGER.info("staff alert %s came back after it was acknowledged: clearing it again", alert_id_)
            return [Publish(topic, b"", 1, True)], False
        # retained on the broker but not in the file (a file set aside, a data folder replaced): keep it
        _LOGGER.warning("staff alert %s is on the broker but not in %s: keeping it until it is acknowledged",
                        alert_id_, self.store.name)
        self._alerts[alert_id_], self._states[alert_id_] = alert, AlertState.PUBLISHED
        self.next_seq = max(self.next_seq, _seq_of(alert_id_) + 1)
        self._save()
        return [], True

    def _cleared(self, alert_id_: str) -> bool:
        if alert_id_ not in self._states:
            _LOGGER.debug("alert %s cleared: not one this device keeps", alert_id_)
            return False
        if not self._move(alert_id_, AlertState.ACKNOWLEDGED):
            return False
        del self._states[alert_id_]
        alert = self._alerts.pop(alert_id_)
        self._acknowledged.append(alert_id_)
        self._save()
        _LOGGER.warning("staff alert %s (%s) acknowledged", alert_id_, alert.kind)
        return True

    def _move(self, alert_id_: str, nxt: AlertState) -> bool:
        """Move by the table (saved when it changed); an illegal move is logged, counted, not taken."""
        before = self._states[alert_id_]
        try:
            self._states[alert_id_] = advance(before, nxt)
        except IllegalAlertMove as err:
            self._problem(f"staff alert {alert_id_}: {err}")
            return False
        if before != nxt and nxt != AlertState.ACKNOWLEDGED:    # acknowledged: the caller drops and saves
            self._save()
        return True

    # ---- the file ------------------------------------------------------------------------------
    def _save(self) -> None:
        doc = {"version": FILE_VERSION, "next_seq": self.next_seq,
               "alerts": [{**a.payload(), "state": self._states[a.id].value} for a in self.pending]}
        try:
            self.store.save(doc)
        except OSError as err:     # a full or read-only disk: keep the alert in memory, and publish it
            self._problem(f"{self.store.name}: the staff alerts could not be saved ({type(err).__name__}: {err}); "
                          f"they are kept in memory until the agent stops")

    def _load(self) -> None:
        try:
            doc = self.store.load()
        except FleetError as err:
            self._bad_file([str(err)])
            return
        if doc is None:
            return
        raw_alerts, bad = doc.get("alerts"), []
        if not isinstance(raw_alerts, list):
            bad.append(f"{self.store.name}: alerts: expected a list of alerts, got {type(raw_alerts).__name__}")
            raw_alerts = []
        for n, raw in enumerate(raw_alerts):
            where = f"{self.store.name}: alerts[{n}]"
            try:
                alert = Alert.parse(raw, where)
                state = AlertState(raw.get("state"))
                if state == AlertState.ACKNOWLEDGED:
                    raise ValueError("acknowledged alerts are never kept")
            except MessageError as err:
                bad.append(f"{err}: {str(raw)[:300]}")
                continue
            except ValueError as err:
                bad.append(f"{where}: state: expected raised or published ({err}): {str(raw)[:300]}")
                continue
            self._alerts[alert.id], self._states[alert.id] = alert, state
        seq = doc.get("next_seq", 1)
        self.next_seq = max([seq if isinstance(seq, int) and seq > 0 else 1]
                            + [_seq_of(i) + 1 for i in self._alerts])
        if bad:
            self._bad_file(bad)
        if self._alerts:
            _LOGGER.warning("%d staff alerts not yet acknowledged (%s): published at the next connection",
                            len(self._alerts), self.store.name)

    def _bad_file(self, problems: list[str]) -> None:
        """Each problem logged and counted; the file kept aside for a person; the agent goes on."""
        try:
            aside = self.store.set_aside()
        except OSError as err:
            aside = None
            problems = [*problems, f"{self.store.name}: could not be kept aside ({err})"]
        for message in problems:
            self._problem(message)
        _LOGGER.error("%s: %d problems; %s; going on with the %d alerts that could be read",
                      self.store.name, len(problems), f"the file was kept as {aside}" if aside else "nothing kept",
                      len(self._alerts))
        self._save()
