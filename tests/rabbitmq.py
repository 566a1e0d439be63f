"""Start a private RabbitMQ node with the MQTT plugin on free loopback ports (Debian's
`rabbitmq-server`), for the fleet tests that prove nothing depends on Mosquitto-only features."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from tests.mosquitto import free_port

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


def available() -> bool:
    return Path(SERVER).exists() or shutil.which("rabbitmq-server") is not None


@contextmanager
def rabbitmq(folder: Path, timeout: float = 90.0):
    folder.mkdir(parents=True, exist_ok=True)
    mqtt_port, amqp_port, dist_port = free_port(), free_port(), free_port()
    (folder / "rabbitmq.conf").write_text(
        f"listeners.tcp.default = 127.0.0.1:{amqp_port}\n"
        f"mqtt.listeners.tcp.default = 127.0.0.1:{mqtt_port}\n"
        "mqtt.allow_anonymous = true\nloopback_users = none\n"
        "log.console = false\nlog.file.level = warning\n")
    (folder / "enabled_plugins").write_text("[rabbitmq_mqtt].\n")
    node = f"edgeav{mqtt_port}@localhost"
    env = {**os.environ, "RABBITMQ_NODENAME": node, "RABBITMQ_NODE_PORT": str(amqp_port),
           "RABBITMQ_DIST_PORT": str(dist_port), "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq"),
           "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
           "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"), "RABBITMQ_LOG_BASE": str(folder / "log"),
           "RABBITMQ_PID_FILE": str(folder / "rabbit.pid"), "HOME": str(folder),
           "RABBITMQ_ERLANG_COOKIE": "edgeavatartest", "RABBITMQ_USE_LONGNAME": "false"}
    exe = SERVER if Path(SERVER).exists() else shutil.which("rabbitmq-server")
    log = open(folder / "server.out", "w")
    proc = subprocess.Popen([exe], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited: {(folder / 'server.out').read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", mqtt_port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("rabbitmq did not open its MQTT port within "
                               f"{timeout:g} s: {(folder / 'server.out').read_text()[-2000:]}")
        yield f"mqtt://127.0.0.1:{mqtt_port}"
    finally:
        try:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, 9)
        log.close()
