"""`edge-avatar hwtest`: run the hardware suite, write junit.xml and submission.json, print a summary."""

from __future__ import annotations

import json
from pathlib import Path

HW_TESTS = Path(__file__).parent
OUTCOME_MARK = {"passed": "PASS", "failed": "FAIL", "skipped": "skip"}


def add_command(sub) -> None:
    hw = sub.add_parser("hwtest", help="run the hardware checks on this board")
    hw.add_argument("--board", help="board profile (default: detected)")
    hw.add_argument("--panel", default="portrait-1080x1920", help="panel profile")
    hw.add_argument("--interactive", action="store_true", help="ask the tester y/n for checks a person judges")
    hw.add_argument("--simulate", action="store_true", help="run against the simulators (no hardware)")
    hw.add_argument("--fault", action="append", default=[], choices=("slow-controller", "dead-mic"),
                    help="inject a fault in --simulate mode")
    hw.add_argument("--soak-seconds", type=float, default=60.0)
    hw.add_argument("--out", type=Path, default=Path("hwtest-out"), help="folder for junit.xml and submission.json")
    hw.add_argument("-k", dest="select", help="only checks matching this pytest expression")
    hw.add_argument("--publish", metavar="URL", help="send the submission to the fleet broker (mqtt://, mqtts://)")
    hw.add_argument("--device-id", help="this kiosk's fleet id (default: /etc/machine-id)")
    hw.set_defaults(func=run_hwtest)


def run_hwtest(args) -> int:
    import pytest
    args.out.mkdir(parents=True, exist_ok=True)
    argv = [str(HW_TESTS), "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir", str(HW_TESTS),
            f"--junitxml={args.out / 'junit.xml'}", f"--hw-out={args.out}", f"--panel={args.panel}",
            f"--soak-seconds={args.soak_seconds}"]
    argv += [f"--board={args.board}"] if args.board else []
    argv += ["--interactive"] if args.interactive else []
    argv += ["--simulate"] if args.simulate else []
    argv += [f"--fault={f}" for f in args.fault]
    argv += ["-k", args.select] if args.select else []
    code = pytest.main(argv)
    submission = json.loads((args.out / "submission.json").read_text(encoding="utf-8"))
    print(summary(submission))
    print(f"\njunit: {args.out / 'junit.xml'}\nsubmission: {args.out / 'submission.json'}")
    if args.publish:
        from fleet.hwtest_report import PublishError, publish_submission
        device_id = args.device_id or submission["serials"].get("machine_id") or "unknown-device"
        try:
            print(f"published: {publish_submission(args.publish, device_id, submission)}")
        except PublishError as err:
            print(f"edge-avatar: error: {err}")
            return 2
    return 0 if code in (0, 5) else 1


def summary(submission: dict) -> str:
    lines = [f"hardware test on {submission['board']}" + (" (simulated)" if submission["simulated"] else ""),
             f"{'':4} {'category':9} {'check':52} measurement"]
    for check in submission["checks"]:
        name = check["id"].split("::")[-1].removeprefix("test_").replace("_", " ")
        figures = "; ".join(f"{m['name']} {m['value']:g} {m['unit']}" + (f" (budget {m['budget']:g})" if m["budget"]
                                                                          is not None else "")
                            for m in check["measurements"])
        if check["outcome"] != "passed" and check.get("reason"):
            figures = (figures + " — " if figures else "") + check["reason"].splitlines()[0][:90]
        lines.append(f"{OUTCOME_MARK[check['outcome']]:4} {check['category']:9} {name[:52]:52} {figures}")
    counts = {k: sum(1 for c in submission["checks"] if c["outcome"] == k) for k in OUTCOME_MARK}
    lines.append(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    for check in submission["checks"]:          # the tester reads the last lines: why each check failed, in full
        if check["outcome"] == "failed":
            reason = (check.get("reason") or "").strip().splitlines()
            lines.append(f"FAILED {check['id'].split('::')[-1]}: {reason[0][:300] if reason else '(no reason given)'}")
    return "\n".join(lines)
