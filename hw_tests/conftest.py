"""Hardware checks run on a kiosk board. Without the hardware a check skips, saying why.

Options (also through `edge-avatar hwtest`): --board NAME (default: detected),
--panel NAME, --interactive (ask the tester y/n), --simulate (PulseAudio null-sink
loopback and the controller simulator stand in for the hardware), --fault NAME
(simulate mode: slow-controller, dead-mic), --hw-out DIR (submission.json).
Each check records measurements with their unit and budget into the submission.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import pytest

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from runtime.board.profile import detect_board, load_board

CATEGORIES = ("audio", "display", "panel", "compute", "thermal", "storage", "system")
FAULTS = ("slow-controller", "dead-mic")
_RESULTS: dict[str, dict] = {}


def pytest_addoption(parser):
    group = parser.getgroup("edge-avatar hardware tests")
    group.addoption("--board", help="board profile (default: detected)")
    group.addoption("--panel", default="portrait-1080x1920", help="panel profile name")
    group.addoption("--interactive", action="store_true", help="ask the tester the checks a person must judge")
    group.addoption("--simulate", action="store_true", help="run against simulators instead of hardware")
    group.addoption("--fault", action="append", default=[], choices=FAULTS, help="inject a fault (simulate)")
    group.addoption("--hw-out", help="folder for submission.json")
    group.addoption("--soak-seconds", type=float, default=10.0, help="thermal soak duration")


def pytest_configure(config):
    for name in CATEGORIES:
        config.addinivalue_line("markers", f"{name}: {name} checks")
    config.addinivalue_line("markers", "compute: models and voices on this board")


@pytest.fixture(scope="session")
def board(pytestconfig):
    return load_board(pytestconfig.getoption("--board") or detect_board())


@pytest.fixture(scope="session")
def simulate(pytestconfig) -> bool:
    return bool(pytestconfig.getoption("--simulate"))


@pytest.fixture(scope="session")
def faults(pytestconfig) -> set[str]:
    return set(pytestconfig.getoption("--fault") or [])


@pytest.fixture()
def measure(request, board, faults):
    """measure(name, value, unit, budget_key=None): record a figure; fail when it breaks the board's budget."""

    def _measure(name: str, value: float, unit: str, budget_key: str | None = None):
        budget = board.budget(budget_key) if budget_key else None
        row = {"name": name, "value": round(float(value), 3), "unit": unit, "budget": budget,
               "budget_kind": (budget_key or "").rsplit("_", 1)[-1] or None}
        request.node.user_properties.append((name, f"{row['value']} {unit}" + (f" (budget {budget})" if budget else "")))
        _RESULTS.setdefault(request.node.nodeid, {"measurements": []})["measurements"].append(row)
        if budget is not None and not faults and os.environ.get("CI") == "true" and board.name == "generic-x86":
            # The project's CI on its shared host: a time budget there measures the neighbours' load,
            # not the board (benchmarks hold the targets). On a kiosk's own board every budget holds,
            # and so does every budget when a fault is injected: the fault is what is under test.
            row["budget_enforced"] = False
            return value
        if budget is not None:
            if budget_key.endswith("_max"):
                assert value <= budget, f"{name} {value:.3g} {unit} is over the {board.name} budget of {budget:g}"
            elif budget_key.endswith("_min"):
                assert value >= budget, f"{name} {value:.3g} {unit} is under the {board.name} budget of {budget:g}"
        return value

    return _measure


@pytest.fixture()
def ask_tester(pytestconfig):
    def _ask(question: str) -> bool:
        if not pytestconfig.getoption("--interactive"):
            pytest.skip(f"needs a person: {question} (run with --interactive)")
        capture = pytestconfig.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            answer = input(f"\n{question} [y/n] ").strip().lower()
        return answer.startswith("y")
    return _ask


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        entry = _RESULTS.setdefault(report.nodeid, {"measurements": []})
        entry["outcome"] = report.outcome
        entry["category"] = next((k for k in report.keywords if k in CATEGORIES), "system")
        if report.outcome == "skipped" and isinstance(report.longrepr, tuple):
            entry["reason"] = str(report.longrepr[2]).removeprefix("Skipped: ")
        elif report.outcome == "failed":
            entry["reason"] = str(getattr(report.longrepr, "reprcrash", None) and report.longrepr.reprcrash.message
                                  or report.longrepr)[:500]


def pytest_sessionfinish(session, exitstatus):
    out = session.config.getoption("--hw-out", default=None)
    if not out:
        return
    from runtime import __version__
    board = session.config.getoption("--board") or detect_board()
    submission = {
        "board": board,
        "panel": session.config.getoption("--panel"),
        "simulated": bool(session.config.getoption("--simulate")),
        "faults": session.config.getoption("--fault") or [],
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "serials": {"machine_id": _read("/etc/machine-id"), "cpu_serial": _cpu_serial()},
        "versions": {"edge-avatar": __version__, "python": platform.python_version(),
                     "kernel": platform.release()},
        "checks": [{"id": nodeid, **entry} for nodeid, entry in _RESULTS.items() if "outcome" in entry],
    }
    path = Path(out)
    path.mkdir(parents=True, exist_ok=True)
    (path / "submission.json").write_text(json.dumps(submission, indent=2), encoding="utf-8")


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip() or None
    except OSError:
        return None


def _cpu_serial() -> str | None:
    for line in (_read("/proc/cpuinfo") or "").splitlines():
        if line.lower().startswith("serial"):
            return line.split(":", 1)[1].strip()
    return None
