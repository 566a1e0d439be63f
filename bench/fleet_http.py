"""A static file server with Range requests (what a CDN or the venue's web server does), for the fleet
bench's HTTP delivery: `python -m bench.fleet_http FILE PORT` serves FILE on 127.0.0.1:PORT, one
thread per connection, until killed. Counts nothing: the bench reads the broker's and kiosks' side."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def handler_for(path: Path) -> type[BaseHTTPRequestHandler]:
    size = path.stat().st_size

    class RangeHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            spec = (self.headers.get("Range") or "").removeprefix("bytes=")
            try:
                first, last = (int(x) for x in spec.split("-"))
            except ValueError:
                self.send_error(416, "expected Range: bytes=FIRST-LAST")
                return
            last = min(last, size - 1)
            with open(path, "rb") as f:
                f.seek(first)
                body = f.read(last - first + 1)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    return RangeHandler


def main() -> int:
    path, port = Path(sys.argv[1]), int(sys.argv[2])
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(path))
    server.daemon_threads = True
    print(f"serving {path} on http://127.0.0.1:{port}/", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
