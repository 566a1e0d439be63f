"""InstallRecords: what the admin sees in ``reported.installs``, one record per kind, every
state change checked against ``install_state.TRANSITIONS``.

A kind's record is the last one written for that kind, whichever bundle it names, so a
bundle in flight is also tracked by id. An illegal move is logged and counted, not raised:
the record still follows what happened (an install the driver reports has happened), and
raising would stop the agent's message handling where it used to go on.
"""

from __future__ import annotations

import logging

from .install_state import IN_FLIGHT, IllegalTransition, InstallState, advance

_LOGGER = logging.getLogger(__name__)


class InstallRecords:
    def __init__(self):
        self.by_kind: dict[str, dict] = {}
        self.illegal_moves = 0
        self._in_flight: dict[str, InstallState] = {}     # bundle id -> queued | downloading | installing

    def current(self, kind: str, bundle_id: str | None) -> InstallState | None:
        """The bundle's state on this device; None if there is no record of it."""
        if bundle_id in self._in_flight:
            return self._in_flight[bundle_id]
        record = self.by_kind.get(kind)
        if record is None or record.get("bundle_id") != bundle_id:
            return None
        return InstallState(record["state"])

    def move(self, kind: str, state: InstallState, bundle_id: str | None, **fields) -> dict:
        """Replace the kind's record with {"state", "bundle_id", **fields}; returns it."""
        return self.replace(kind, {"state": state, "bundle_id": bundle_id, **fields})

    def replace(self, kind: str, record: dict) -> dict:
        """Replace the kind's record with `record` (its key order is the JSON's)."""
        bundle_id, state = record.get("bundle_id"), InstallState(record["state"])
        try:
            advance(self.current(kind, bundle_id), state)
        except IllegalTransition as err:
            self.illegal_moves += 1
            _LOGGER.warning("%s %s: %s", kind, (bundle_id or "?")[:12], err)
        if state in IN_FLIGHT:
            self._in_flight[bundle_id] = state
        else:
            self._in_flight.pop(bundle_id, None)
        self.by_kind[kind] = record
        return record
