"""Publish a hardware-test submission to the fleet broker (paho-mqtt 2.x, VERSION2 callbacks).

Topic: edge-avatar/devices/<device_id>/hwtest, retained, QoS 1, so the admin side
sees each device's last result whenever it subscribes (and on brokers without
retained wildcards, when it asks the device to announce itself: fleet issue).
"""

from __future__ import annotations

import json
import threading
from urllib.parse import urlparse

TOPIC = "edge-avatar/devices/{device_id}/hwtest"


class PublishError(Exception):
    pass


def publish_submission(broker_url: str, device_id: str, submission: dict, timeout: float = 10.0) -> str:
    import paho.mqtt.client as mqtt
    url = urlparse(broker_url)
    if url.scheme not in ("mqtt", "mqtts") or not url.hostname:
        raise PublishError(f"--publish {broker_url}: expected mqtt://host:port or mqtts://host:port")
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{device_id}-hwtest")
    if url.scheme == "mqtts":
        client.tls_set()
    if url.username:
        client.username_pw_set(url.username, url.password)
    connected = threading.Event()
    client.on_connect = lambda c, u, flags, reason, props: connected.set() if not reason.is_failure else None
    try:
        client.connect(url.hostname, url.port or (8883 if url.scheme == "mqtts" else 1883))
    except OSError as err:
        raise PublishError(f"--publish {broker_url}: cannot connect ({err})") from err
    client.loop_start()
    try:
        if not connected.wait(timeout):
            raise PublishError(f"--publish {broker_url}: the broker did not accept the connection")
        topic = TOPIC.format(device_id=device_id)
        info = client.publish(topic, json.dumps(submission), qos=1, retain=True)
        info.wait_for_publish(timeout)
        if not info.is_published():
            raise PublishError(f"--publish {broker_url}: {topic} not acknowledged within {timeout:g} s")
        return topic
    finally:
        client.disconnect()
        client.loop_stop()
