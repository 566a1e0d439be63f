"""`edge-avatar service status`: one screen that tells venue staff whether the kiosk is healthy and why not.

``gather_facts`` reads systemd, the data folder and the board (I/O at the edge);
``judge`` turns facts into a verdict and reasons (pure, tested); ``render`` prints them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from .unit_file import UNIT_NAME

SHOW = ("ActiveState", "SubState", "Result", "NRestarts", "StatusText", "ExecMainStatus", "ActiveEnterTimestamp")


def gather_facts(data_dir: Path) -> dict:
    from runtime.shared.board import board_health
    facts: dict = {"systemd": None, "data_dir": str(data_dir), "errors": []}
    if shutil.which("systemctl"):
        done = subprocess.run(["systemctl", "show", UNIT_NAME, *[f"--property={p}" for p in SHOW]],
                              capture_output=True, text=True, timeout=10)
        if done.returncode == 0:
            facts["systemd"] = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    if shutil.which("journalctl"):
        done = subprocess.run(["journalctl", "-u", UNIT_NAME, "-p", "err", "-n", "3", "--no-pager", "-o", "cat"],
                              capture_output=True, text=True, timeout=10)
        facts["errors"] = [line for line in done.stdout.splitlines() if line.strip() and "No entries" not in line]
    state = Path(data_dir) / "state.json"
    facts["versions"] = ({k: v["version"] for k, v in json.loads(state.read_text()).get("kinds", {}).items()}
                         if state.exists() else {})
    facts["install_interrupted"] = (Path(data_dir) / "pending.json").exists()
    facts["board"] = board_health()
    return facts


def judge(facts: dict) -> tuple[bool, list[str]]:
    reasons = []
    sd = facts.get("systemd")
    if sd is None:
        reasons.append("systemd is not managing the kiosk here (install it: sudo edge-avatar service install)")
    else:
        if sd.get("ActiveState") != "active":
            reasons.append(f"the kiosk is not running ({sd.get('ActiveState')}/{sd.get('SubState')}, last result "
                           f"{sd.get('Result')}, exit status {sd.get('ExecMainStatus')}): switch it off and on; "
                           "if it stays down, call support with this screen")
        restarts = int(sd.get("NRestarts") or 0)
        if restarts > 3:
            reasons.append(f"it restarted itself {restarts} times since it was switched on")
    board = facts.get("board") or {}
    if board.get("disk_free_mb", 1 << 30) < 500:
        reasons.append(f"storage almost full: {board['disk_free_mb']} MB free")
    temps = board.get("temps_c") or {}
    if temps and max(temps.values()) >= 80:
        reasons.append(f"running hot: {max(temps.values()):.0f} °C (check the fan and the vents)")
    if facts.get("install_interrupted"):
        reasons.append("an update was interrupted; it is undone at the next start")
    return not reasons, reasons


def render(facts: dict) -> str:
    ok, reasons = judge(facts)
    sd = facts.get("systemd") or {}
    lines = [("HEALTHY" if ok else "NOT HEALTHY") + (f": {sd['StatusText']}" if sd.get("StatusText") else "")]
    lines += [f"  - {r}" for r in reasons]
    if sd:
        lines.append(f"service: {sd.get('ActiveState')}/{sd.get('SubState')} since {sd.get('ActiveEnterTimestamp') or '-'}"
                     f", restarts {sd.get('NRestarts', '0')}")
    versions = facts.get("versions") or {}
    lines.append("installed: " + (", ".join(f"{k} {v}" for k, v in sorted(versions.items())) or "bundled defaults"))
    board = facts.get("board") or {}
    temps = board.get("temps_c") or {}
    lines.append(f"board: {board.get('disk_free_mb', '?')} MB free"
                 + (f", {max(temps.values()):.0f} °C" if temps else "") + f", load {board.get('load1', '?')}")
    for err in facts.get("errors") or []:
        lines.append(f"recent error: {err[:160]}")
    return "\n".join(lines)
