"""The power-loss journal (``runtime.shared.power_loss``): each durable write of ``durable_files`` is
noted until the fsync of its folder, and a power cut undoes what is still noted. With every fsync in
place nothing is lost; with one missing (``fsync_dir`` made a no-op) each kind of change is undone,
which is how the power-loss crash tests catch a missing fsync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.shared import durable_files, power_loss
from runtime.shared.durable_files import (
    make_dirs,
    point_link_atomic,
    read_json,
    remove_file,
    rename_dir_atomic,
    replace_atomic,
    write_json_atomic,
)
from runtime.shared.power_loss import ABSENT, FILE, Before, Journal


@pytest.fixture
def journal(monkeypatch) -> Journal:
    j = Journal()
    monkeypatch.setattr(power_loss, "JOURNAL", j)
    return j


def test_the_journal_forgets_a_change_when_its_folder_is_fsynced_and_undoes_the_rest_newest_first(tmp_path):
    j = Journal()
    j.changed(tmp_path / "a" / "x.json", Before(ABSENT))
    j.changed(tmp_path / "b" / "y.json", Before(FILE, b"1"))
    j.changed(tmp_path / "b" / "y.json", Before(FILE, b"2"))
    j.synced(tmp_path / "a")
    assert [(p.path.name, p.before.data) for p in j.to_undo()] == [("y.json", b"2"), ("y.json", b"1")]
    j.synced(tmp_path / "b")
    assert j.to_undo() == []


def _old_world(data: Path) -> None:
    (data / "slots" / "a").mkdir(parents=True)
    (data / "slots" / "b").mkdir()
    write_json_atomic(data / "state.json", {"version": "a"})
    write_json_atomic(data / "trial.json", {"to": "b"})
    point_link_atomic(data / "current", data / "slots" / "a")
    (data / "staging").mkdir()
    (data / "staging" / "file").write_text("new version")
    (data / "settings.yaml").write_text("volume: 0.5\n")


def _change_everything(data: Path) -> None:
    write_json_atomic(data / "state.json", {"version": "b"})
    write_json_atomic(data / "new.json", {"new": True})
    point_link_atomic(data / "current", data / "slots" / "b")
    remove_file(data / "trial.json")
    rename_dir_atomic(data / "staging", data / "slots" / "c")
    make_dirs(data / "installs" / "kind")
    (data / ".settings.tmp").write_text("volume: 0.9\n")
    replace_atomic(data / ".settings.tmp", data / "settings.yaml")


def test_with_every_fsync_in_place_a_power_cut_loses_nothing(tmp_path, journal):
    _old_world(tmp_path)
    _change_everything(tmp_path)
    assert power_loss.lose_unsynced("test") == 0
    assert read_json(tmp_path / "state.json", None) == {"version": "b"}
    assert (tmp_path / "current").resolve() == (tmp_path / "slots" / "b").resolve()
    assert not (tmp_path / "trial.json").exists() and (tmp_path / "slots" / "c" / "file").exists()
    assert (tmp_path / "settings.yaml").read_text() == "volume: 0.9\n"


def test_a_missing_fsync_loses_each_kind_of_change_as_a_power_cut_would(tmp_path, journal, monkeypatch):
    _old_world(tmp_path)
    monkeypatch.setattr(durable_files, "fsync_dir", lambda folder: None)      # the bug the tests must catch
    _change_everything(tmp_path)
    assert power_loss.lose_unsynced("test") == 8
    assert json.loads((tmp_path / "state.json").read_text()) == {"version": "a"}     # the old content
    assert not (tmp_path / "new.json").exists()
    assert (tmp_path / "current").resolve() == (tmp_path / "slots" / "a").resolve()  # the old link
    assert read_json(tmp_path / "trial.json", None) == {"to": "b"}                   # the removed record back
    assert (tmp_path / "staging" / "file").exists() and not (tmp_path / "slots" / "c").exists()
    assert not (tmp_path / "installs").exists()                                      # a folder never fsynced in
    assert (tmp_path / "settings.yaml").read_text() == "volume: 0.5\n"


def test_without_the_variable_nothing_is_noted(tmp_path):
    assert power_loss.JOURNAL is None        # the test run does not set EDGE_AVATAR_POWER_LOSS
    write_json_atomic(tmp_path / "x.json", {})
    assert power_loss.lose_unsynced("test") == 0 and read_json(tmp_path / "x.json", None) == {}
