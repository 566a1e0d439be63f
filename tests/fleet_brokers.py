"""The brokers every fleet integration test runs on: Mosquitto (MQTT 5) and RabbitMQ (3.1.1)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import rabbitmq as rmq
from tests.mosquitto import mosquitto

BROKERS = ["mosquitto", "rabbitmq"]


@contextmanager
def fleet_broker(name: str, folder: Path):
    """Yields the broker's mqtt:// URL; skips (with the reason) when RabbitMQ is not installed."""
    if name == "rabbitmq":
        if not rmq.available():
            pytest.skip("rabbitmq-server is not installed (scripts/setup.sh --test installs it)")
        with rmq.rabbitmq(folder) as url:
            yield url
    else:
        with mosquitto(folder) as url:
            yield url
