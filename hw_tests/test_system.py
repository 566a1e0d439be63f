"""Storage, clock and watchdog: what a kiosk running for months relies on."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

DATA_DIR = Path(os.environ.get("EDGE_AVATAR_DATA", tempfile.gettempdir()))
PROBE_MB = 64


@pytest.mark.storage
def test_free_space(measure):
    free = shutil.disk_usage(DATA_DIR).free / 1e9
    measure(f"free space on {DATA_DIR}", free, "GB", "free_space_gb_min")


@pytest.mark.storage
def test_write_and_read_speed(measure):
    block = os.urandom(1 << 20)
    with tempfile.NamedTemporaryFile(dir=DATA_DIR, delete=False) as fh:
        path = fh.name
        t0 = time.perf_counter()
        for _ in range(PROBE_MB):
            fh.write(block)
        fh.flush()
        os.fsync(fh.fileno())
        write_s = time.perf_counter() - t0
    try:
        try:
            with open("/proc/sys/vm/drop_caches", "w") as caches:   # root only: read from the device, not RAM
                caches.write("1\n")
        except OSError:
            pass
        t0 = time.perf_counter()
        with open(path, "rb") as fh:
            while fh.read(1 << 20):
                pass
        read_s = time.perf_counter() - t0
    finally:
        os.unlink(path)
    measure("write speed", PROBE_MB / write_s, "MB/s", "storage_write_mb_s_min")
    measure("read speed", PROBE_MB / read_s, "MB/s", "storage_read_mb_s_min")


@pytest.mark.system
def test_clock_is_synchronised():
    if shutil.which("timedatectl") is None:
        pytest.skip("timedatectl not available (no systemd): cannot tell whether the clock is synchronised")
    out = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"], capture_output=True,
                         text=True).stdout.strip()
    if not out:
        pytest.skip("timedatectl gave no answer (no systemd-timedated on this machine)")
    assert out == "yes", "the clock is not synchronised (NTP): logs and schedules will be wrong"


@pytest.mark.system
def test_a_watchdog_device_is_present():
    if not Path("/dev/watchdog").exists():
        pytest.skip("no /dev/watchdog on this machine (enable the board's hardware watchdog)")
    assert os.access("/dev/watchdog", os.W_OK), "/dev/watchdog exists but is not writable by this user"


@pytest.mark.system
def test_the_fleet_broker_is_reachable_with_tls():
    """TLS to the fleet broker, then an MQTT CONNECT with this kiosk's client certificate when it has
    one: EDGE_AVATAR_BROKER=mqtts://host:8883, EDGE_AVATAR_BROKER_CA (the fleet's CA, else the system
    store), EDGE_AVATAR_BROKER_CERT / _KEY (this kiosk's certificate, CN = its device id)."""
    url = os.environ.get("EDGE_AVATAR_BROKER")
    if not url:
        pytest.skip("no fleet broker configured (set EDGE_AVATAR_BROKER=mqtts://host:8883)")
    import socket
    import ssl
    from urllib.parse import urlparse
    broker = urlparse(url)
    ca = os.environ.get("EDGE_AVATAR_BROKER_CA")
    cert, key = os.environ.get("EDGE_AVATAR_BROKER_CERT"), os.environ.get("EDGE_AVATAR_BROKER_KEY")
    context = ssl.create_default_context(cafile=ca)
    if cert and key:
        context.load_cert_chain(cert, key)
    with socket.create_connection((broker.hostname, broker.port or 8883), timeout=5) as sock:
        with context.wrap_socket(sock, server_hostname=broker.hostname) as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
    if cert and key:
        from pathlib import Path
        from fleet.broker import BrokerConfig, probe_protocol
        probe_protocol(BrokerConfig.from_args(url, ca_file=Path(ca) if ca else None, cert_file=Path(cert),
                                              key_file=Path(key)))      # raises if the broker refuses us
