"""Tiny stand-in wheels of edge-avatar for runtime-bundle tests: real wheels, installed by pip into
real virtual environments, whose `edge-avatar` does one thing — says over sd_notify what a healthy
kiosk says (listening, rendering, READY=1, fleet connected) and runs until stopped ("good"), exits
at once ("crash"), or runs without ever saying READY ("silent")."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

_MAIN = {
    "good": """
def main():
    import os, signal, socket, sys, time
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        for line in (b"X_EDGE_AVATAR_LISTENING=1", b"X_EDGE_AVATAR_RENDERING=1",
                     b"READY=1\\nSTATUS=listening (stand-in {version})", b"X_EDGE_AVATAR_FLEET=connected"):
            s.sendto(line, os.environ["NOTIFY_SOCKET"])
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.05)
""",
    "crash": """
def main():
    raise SystemExit("stand-in {version}: crashes at start")
""",
    "silent": """
def main():
    import os, signal, sys, time
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.05)
""",
}


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def stand_in_wheel(folder: Path, version: str, mode: str, requires: tuple[str, ...] = ()) -> Path:
    """`requires`: its declared dependencies (Requires-Dist, as pyproject's `dependencies` become)."""
    dist = f"edge_avatar-{version}.dist-info"
    files = {
        "runtime/__init__.py": f'__version__ = "{version}"\n',
        "runtime/cli/__init__.py": "",
        "runtime/cli/main.py": _MAIN[mode].format(version=version),
        "fleet/__init__.py": "",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: edge-avatar\nVersion: {version}\n"
                            + "".join(f"Requires-Dist: {r}\n" for r in requires),
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist}/entry_points.txt": "[console_scripts]\nedge-avatar = runtime.cli.main:main\n",
    }
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"edge_avatar-{version}-py3-none-any.whl"
    record = [_record_line(n, d.encode()) for n, d in files.items()] + [f"{dist}/RECORD,,"]
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr(f"{dist}/RECORD", "\n".join(record) + "\n")
    return out
