"""A TCP proxy between MQTT clients and a broker that drops, at random, the bundle chunks the broker
sends (PUBLISH packets on `edge-avatar/bundles/...`), as a lossy path would lose them for good. What
the clients send goes through untouched. Every drop is counted."""

from __future__ import annotations

import random
import socket
import threading

from tests.mosquitto import free_port

PUBLISH = 3


def _read_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        part = sock.recv(n - len(data))
        if not part:
            raise ConnectionError("closed")
        data += part
    return data


def _read_packet(sock: socket.socket) -> bytes:
    """One MQTT control packet: the fixed header (type byte, remaining length varint) and its body."""
    head = _read_exact(sock, 1)
    length, shift = 0, 0
    while True:
        byte = _read_exact(sock, 1)
        head += byte
        length |= (byte[0] & 0x7F) << shift
        shift += 7
        if not byte[0] & 0x80:
            break
    return head + _read_exact(sock, length)


def _topic(packet: bytes) -> str:
    i = 1
    while packet[i] & 0x80:
        i += 1
    size = int.from_bytes(packet[i + 1:i + 3], "big")
    return packet[i + 3:i + 3 + size].decode("utf-8", "replace")


class DropProxy:
    def __init__(self, broker_port: int, drop: float, seed: int = 29):
        self.broker_port, self.drop = broker_port, drop
        self.port = free_port()
        self.dropped = 0
        self.forwarded_chunks = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._sockets: list[socket.socket] = [self._server]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.broker_port))
            self._sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._down, args=(upstream, client), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        self._close(src, dst)

    def _down(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                packet = _read_packet(src)
                if packet[0] >> 4 == PUBLISH and "/bundles/" in _topic(packet):
                    with self._lock:
                        lose = self._rng.random() < self.drop
                        self.dropped += lose
                        self.forwarded_chunks += not lose
                    if lose:
                        continue
                dst.sendall(packet)
        except (OSError, ConnectionError):
            pass
        self._close(src, dst)

    @staticmethod
    def _close(*socks: socket.socket) -> None:
        for s in socks:
            try:
                s.close()
            except OSError:
                pass

    def close(self) -> None:
        self._close(*self._sockets)
