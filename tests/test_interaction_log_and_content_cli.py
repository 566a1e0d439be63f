"""The interaction log (retention, size cap, no audio) and the content check/test commands."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.pack_examples import run_pack_examples
from runtime.ops.interaction_log import InteractionLog

CLI = [sys.executable, "-m", "runtime"]
TURN = {"lang": "en", "transcript": "where is the cinema", "intent": "cinema", "pack": "mall-demo",
        "pack_sha256": "abcdef0123456789", "confidence": 0.91}


def test_one_text_line_per_turn_traceable_to_the_pack(tmp_path):
    log = InteractionLog(tmp_path)
    path = log.write(dt.datetime(2026, 5, 1, 14, 3, 7), TURN)
    fields = path.read_text(encoding="utf-8").rstrip("\n").split("\t")
    assert fields == ["2026-05-01T14:03:07", "en", '"where is the cinema"', "cinema",
                      "mall-demo/cinema@abcdef012345", "0.910"]
    assert not list(tmp_path.glob("*.wav"))


def test_lines_are_written_at_once_but_flushed_to_the_card_at_most_once_a_minute(tmp_path):
    log = InteractionLog(tmp_path, sync_every_s=60)
    start = dt.datetime(2026, 5, 1, 14, 0, 0)
    for i in range(30):                                   # a busy half minute: 30 answers
        path = log.write(start + dt.timedelta(seconds=i), TURN)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 30   # every line is in the file now
    assert log.syncs == 1                                 # but the card was written once
    log.write(start + dt.timedelta(seconds=61), TURN)
    assert log.syncs == 2
    log.write(start + dt.timedelta(seconds=62), TURN)
    log.sync()                                            # the kiosk stops: the rest is flushed
    assert log.syncs == 3


def test_rotation_keeps_six_months_and_respects_the_size_cap(tmp_path):
    with pytest.raises(ValueError, match="at least six months"):
        InteractionLog(tmp_path, retention_days=30)
    log = InteractionLog(tmp_path, retention_days=200, size_cap=10_000)
    start = dt.datetime(2026, 1, 1, 12)
    for day in range(260):
        log.write(start + dt.timedelta(days=day), TURN)
    removed = log.prune((start + dt.timedelta(days=259)).date())
    kept = sorted(p.name for p in tmp_path.glob("interactions-*.log"))
    assert kept[-1] == "interactions-2026-09-17.log" and len(removed) == 260 - len(kept)
    assert sum(p.stat().st_size for p in tmp_path.glob("*.log")) <= 10_000
    big = InteractionLog(tmp_path / "b")
    for day in range(260):
        big.write(start + dt.timedelta(days=day), TURN)
    big.prune((start + dt.timedelta(days=259)).date())
    assert len(list((tmp_path / "b").glob("*.log"))) == 201   # 200 days back plus today


def test_content_check_lists_every_problem_and_fails(tmp_path, mall_pack_dir):
    (tmp_path / "faq.yaml").write_text("venue: {id: x}\nlanguages: [en]\nfallback: {en: ''}\nintents: []\n")
    done = subprocess.run(CLI + ["content", "check", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 1
    assert ":3: fallback.en: expected a non-empty fallback answer" in done.stdout
    assert ":4: intents: expected a non-empty list of intents" in done.stdout
    ok = subprocess.run(CLI + ["content", "check", str(mall_pack_dir)], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.strip().endswith("OK")


def test_content_test_shows_examples_that_miss_with_themselves_left_out(mall_pack_dir):
    results = run_pack_examples(load_content_pack(mall_pack_dir))
    assert len(results) == 24 * 2 * 4
    assert any(r.ok for r in results) and any(not r.ok for r in results)
    done = subprocess.run(CLI + ["content", "test", str(mall_pack_dir), "--matcher", "lexical"], capture_output=True,
                          text=True)
    ok = sum(r.ok for r in results)
    assert f"{ok}/{len(results)} example questions land on their intent" in done.stdout
    missed = next(r for r in results if not r.ok)
    assert f"{missed.question!r}: expected {missed.expected}" in done.stdout
    # The matcher's own floor on the mall pack (77/192 before the venue lexicon).
    assert ok >= 170
