"""`edge-avatar fleet metrics`: an admin session that keeps the fleet view fresh (asks devices to
announce every `announce_every_s`; telemetry arrives on its own) and serves it as Prometheus text on
GET /metrics (``fleet/metrics.py``). Anything else is 404."""

from __future__ import annotations

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .admin import FleetAdmin
from .errors import FleetError
from .metrics import render

_LOGGER = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = (text or "").rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise FleetError(f"--listen {text!r}: expected HOST:PORT (e.g. 127.0.0.1:9108)")
    return host or "127.0.0.1", int(port)


def metrics_server(admin: FleetAdmin, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path.split("?", 1)[0] != "/metrics":
                self.send_error(404, "only /metrics is served here")
                return
            with admin._lock:
                body = render(dict(admin.devices), time.time()).encode()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            _LOGGER.debug("metrics: " + fmt, *args)

    return ThreadingHTTPServer((host, port), Handler)


def serve(admin: FleetAdmin, server: ThreadingHTTPServer, announce_every_s: float, stop: threading.Event) -> None:
    """Serve until `stop` is set, asking devices to announce themselves every `announce_every_s`."""
    threading.Thread(target=server.serve_forever, name="fleet-metrics", daemon=True).start()
    try:
        admin.discover(timeout=5)
        while not stop.wait(announce_every_s):
            admin.discover(timeout=5)
    finally:
        server.shutdown()
        server.server_close()
