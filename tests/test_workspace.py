"""The SQLite workspace: saved on every change, reopened equal, survives kill -9."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from measurement.edits import (
    AddMeasurement,
    DeleteMeasurement,
    MoveMeasurement,
    RenameLesion,
    SetStatus,
)
from measurement.reading import Reading
from measurement.serial import CaseError
from reporting.workspace import (
    Workspace,
    WorkspaceError,
    open_case,
    open_reading,
    save_case,
    workspace_key,
    workspace_path,
)
from tests.reading_fixtures import caliper, sample_reading
from tests.workspace_writer import STUDIES, expected_points

WRITER = Path(__file__).with_name("workspace_writer.py")


def _reopen(path: Path) -> Reading:
    with Workspace(path) as workspace:
        reading = workspace.load()
    assert reading is not None
    return reading


def test_the_key_is_the_sorted_set_of_study_uids(tmp_path):
    key = workspace_key(["1.2.4", "1.2.3", "1.2.4"])
    assert key == workspace_key(["1.2.3", "1.2.4"])
    assert key != workspace_key(["1.2.3"])
    assert len(key) == 32
    assert workspace_path(tmp_path, ["1.2.3", "1.2.4"]).parent == tmp_path
    with pytest.raises(WorkspaceError, match="at least one Study Instance UID"):
        workspace_key([])


def test_a_workspace_is_never_written_next_to_the_images(tmp_path):
    images = tmp_path / "cd"
    with pytest.raises(WorkspaceError, match="must not be written inside the image"):
        Workspace.for_studies(images / "nadir", ["1.2.3"], source_folders=[images])
    assert not (images / "nadir").exists()


def test_every_change_is_saved_and_reopens_equal(tmp_path):
    reading = sample_reading()
    workspace = Workspace.for_studies(tmp_path, ["1.2.3", "1.2.4"])
    workspace.attach(reading)
    path = workspace.path
    edits = [
        AddMeasurement(caliper("M4", "T1", (0, 50, 100), 9.0, "L2")),
        MoveMeasurement("M2", ((10, -4.5, 120), (33.5, -4.5, 120))),
        RenameLesion("L1", "segment VIII", "liver"),
        SetStatus("N1", "T1", "progression"),
        DeleteMeasurement("M1"),
    ]
    for edit in edits:
        reading.execute(edit)
        # a second connection sees the change at once: it was committed
        assert _reopen(path).state == reading.state
    reading.undo()
    reading.undo()
    assert _reopen(path).state == reading.state
    reading.preview(MoveMeasurement("M2", ((0, 0, 0), (99, 0, 0))))
    assert _reopen(path).state == reading.committed_state
    reading.cancel_preview()
    workspace.close()

    restored = _reopen(path)
    assert restored.state == reading.state
    assert restored.undo_entries == reading.undo_entries
    assert restored.redo_entries == reading.redo_entries
    assert restored.undo_label == "Rename L1"
    assert restored.redo_label == "Set N1 at T1 to progression"
    restored.redo()
    restored.redo()
    assert restored.state.status("N1", "T1") == "progression"
    for _ in range(len(restored.undo_entries)):
        restored.undo()
    assert restored.state == Reading().state


def test_undo_history_survives_reopening_and_keeps_saving(tmp_path):
    workspace, reading = open_reading(
        tmp_path, ["1.2.3", "1.2.4"], lambda: sample_reading().state
    )
    reading.execute(AddMeasurement(caliper("M4", "T1", (0, 50, 100), 9.0)))
    reading.undo()
    workspace.close()

    workspace, again = open_reading(tmp_path, ["1.2.4", "1.2.3"], lambda: pytest.fail())
    assert again.state == reading.state
    again.redo()
    again.execute(SetStatus("X1", "T1", "unequivocal"))
    workspace.close()
    final = _reopen(workspace.path)
    assert final.state == again.state
    assert final.state.measurement("M4").long_mm == pytest.approx(9.0)
    assert not final.can_redo


def test_a_damaged_workspace_says_what_to_do(tmp_path):
    path = tmp_path / "broken.nadir-workspace"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(WorkspaceError, match="broken.nadir-workspace: cannot open"):
        Workspace(path)


def test_case_file_save_and_open(tmp_path):
    reading = sample_reading()
    path = tmp_path / "case.json"
    save_case(reading, path)
    data = json.loads(path.read_text())
    assert data["format"] == "nadir-case/1"
    assert [lesion["id"] for lesion in data["lesions"]] == ["L1", "L2", "N1", "X1"]
    assert open_case(path).to_case() == reading.to_case()
    assert [p.name for p in tmp_path.iterdir()] == ["case.json"]


def test_a_broken_case_file_is_named_with_the_field(tmp_path):
    path = tmp_path / "case.json"
    path.write_text('{"format": "nadir-case/1", "lesions": [{"id": "L1"}]}')
    with pytest.raises(CaseError, match=r"case.json: lesions\[0\]\.kind: expected one"):
        open_case(path)
    path.write_text('{"format": ')
    with pytest.raises(CaseError, match=r"case.json: not JSON \(line 1, column 12"):
        open_case(path)


# ----------------------------------------------------------------- kill -9


def _run_and_kill(folder: Path, rng: random.Random) -> list[str]:
    """Start the writer, let it save for a random while, SIGKILL it, return ids."""
    process = subprocess.Popen(
        [sys.executable, str(WRITER), str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reported: list[str] = []
    first = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            reported.append(line.strip())
            first.set()

    reader = threading.Thread(target=read)
    reader.start()
    started = first.wait(timeout=60)
    time.sleep(rng.uniform(0.02, 0.6))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    reader.join(timeout=30)
    assert process.stdout is not None and process.stderr is not None
    errors = process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    assert started, f"the writer printed nothing: {errors}"
    assert process.returncode == -signal.SIGKILL
    return reported


def test_kill_9_loses_no_finished_measurement(tmp_path):
    rng = random.Random(20261204)
    reported: list[str] = []
    known: set[str] = set()
    path = workspace_path(tmp_path, STUDIES)
    for _ in range(4):
        this_run = _run_and_kill(tmp_path, rng)
        reported += this_run
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        db.close()
        state = _reopen(path).state
        saved = {m.id: m for m in state.measurements}
        # every id the writer reported after its save returned is there
        assert set(reported) <= set(saved)
        # at most the one being saved when the kill came is there unreported
        assert len(set(saved) - known - set(this_run)) <= 1
        known = set(saved)
        for mid, measurement in saved.items():
            number = int(mid[1:])
            assert measurement.points_lps_mm == expected_points(number)
            assert measurement.long_mm == pytest.approx(float(number))
            assert measurement.lesion_id == f"L{number}"
            assert state.lesion(f"L{number}").organ == "liver"
        assert len(state.lesions) == len(saved)
    assert len(reported) == len(set(reported)) >= 4
    # the stored history is whole too: undoing every step empties the reading
    reading = _reopen(path)
    assert len(reading.undo_entries) == len(known)
    while reading.can_undo:
        before = len(reading.state.measurements)
        reading.undo()
        assert len(reading.state.measurements) == before - 1
    assert reading.state.measurements == () and reading.state.lesions == ()
    print(f"kill -9 test: {len(reported)} measurements reported over 4 kills")


def test_history_trimmed_alike_in_memory_and_on_disk(tmp_path, monkeypatch):
    import measurement.reading

    monkeypatch.setattr(measurement.reading, "MAX_UNDO", 3)
    workspace, reading = open_reading(
        tmp_path, ["1.2.3"], lambda: sample_reading().state
    )
    for number in range(4, 10):
        reading.execute(AddMeasurement(caliper(f"M{number}", "T1", (0, 0, 0), 5.0)))
    assert len(reading.undo_entries) == 3
    reading.undo()
    reading.undo()
    workspace.close()
    restored = _reopen(workspace.path)
    assert restored.state == reading.state
    assert restored.undo_entries == reading.undo_entries
    assert restored.redo_entries == reading.redo_entries
    assert [e.label for e in restored.redo_entries] == [
        "Add caliper M9",
        "Add caliper M8",
    ]
    db = sqlite3.connect(workspace.path)
    assert db.execute("SELECT COUNT(*) FROM history").fetchone() == (3,)
    db.close()


def test_opening_a_case_into_an_attached_reading_saves_it_whole(tmp_path):
    workspace, reading = open_reading(
        tmp_path, ["1.2.3"], lambda: sample_reading().state
    )
    reading.execute(SetStatus("X1", "T1", "unequivocal"))
    reading.reset(Reading.from_case(sample_reading().to_case()).state)
    workspace.close()
    restored = _reopen(workspace.path)
    assert restored.state == reading.state
    assert not restored.can_undo


def test_a_failed_save_is_reported_and_the_next_change_saves_everything(
    tmp_path, monkeypatch
):
    workspace, reading = open_reading(
        tmp_path, ["1.2.3"], lambda: sample_reading().state
    )
    saved_before = reading.state
    real_write = workspace._write_state

    def failing_write(current):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(workspace, "_write_state", failing_write)
    with pytest.raises(WorkspaceError, match=r"the change was not saved \(disk I/O"):
        reading.execute(SetStatus("X1", "T1", "unequivocal"))
    # the transaction was rolled back: the file still holds the earlier reading
    assert _reopen(workspace.path).state == saved_before

    monkeypatch.setattr(workspace, "_write_state", real_write)
    reading.execute(SetStatus("N1", "T1", "progression"))
    workspace.close()
    restored = _reopen(workspace.path)
    assert restored.state == reading.state
    assert restored.undo_entries == reading.undo_entries
    assert restored.state.status("X1", "T1") == "unequivocal"


def test_a_workspace_of_another_schema_is_refused(tmp_path):
    path = tmp_path / "old.nadir-workspace"
    Workspace(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(WorkspaceError, match="workspace schema 0 is not 1"):
        Workspace(path)


def test_reopening_builds_only_the_current_state_until_undo(tmp_path, monkeypatch):
    import reporting.workspace as module

    workspace, reading = open_reading(
        tmp_path, ["1.2.3"], lambda: sample_reading().state
    )
    for number in range(4, 14):
        reading.execute(AddMeasurement(caliper(f"M{number}", "T1", (0, 0, 0), 5.0)))
    workspace.close()

    built = []
    real = module.state_from_json
    monkeypatch.setattr(
        module, "state_from_json", lambda data: built.append(1) or real(data)
    )
    workspace, again = open_reading(tmp_path, ["1.2.3"], lambda: pytest.fail())
    assert len(built) == 1
    again.undo()
    again.undo()
    assert len(built) == 3
    assert again.state.measurements[-1].id == "M11"
    workspace.close()
