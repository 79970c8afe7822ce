"""The window's export action: every output of the reading, off the GUI thread."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from app.export_action import ExportChoices, export
from app.main_window import MainWindow
from viewer.demo_case import write_demo_case


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return write_demo_case(tmp_path_factory.mktemp("demo") / "case", 128, 40)


def test_export_writes_report_sr_and_key_objects(qtbot, demo, tmp_path):
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_paths([demo])
    # the demo's true reading, opened as a case file
    window.reading_session.open_case_file(demo / "expected_case.json")
    state = window.reading_session.reading.state
    # five targets at three timepoints; the non-target and new lesion by status
    assert len(state.measurements) == 15 and len(state.lesions) == 7

    out = tmp_path / "export"
    export(window, ExportChoices(out, lang="de", impression="Progress."))
    result = window.last_export
    names = {path.relative_to(out).as_posix() for path in result.files}
    assert {"case.json", "lesion-table.csv", "dicom/measurement-report.dcm"} <= names
    assert sum(name.startswith("dicom/key-objects") for name in names) == 3
    pdfs = [path for path in result.files if path.suffix == ".pdf"]
    assert len(pdfs) == 1 and result.pages >= 2
    case = json.loads((out / "case.json").read_text())
    assert [t["date"] for t in case["timepoints"]] == [
        "2026-01-12",
        "2026-04-14",
        "2026-07-15",
    ]
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdfs[0]), "-"], capture_output=True, text=True
        ).stdout
        assert "Progress." in text
        assert "PD" in text
    assert "Exported" in window.statusBar().currentMessage()


def test_export_refuses_a_folder_with_files(qtbot, demo, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: shown.append(args[2]))
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_paths([demo])
    window.reading_session.open_case_file(demo / "expected_case.json")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("keep me")
    export(window, ExportChoices(busy))
    assert (busy / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]
    assert shown and str(busy) in shown[0]


def test_case_file_and_exported_report_open_with_the_images(
    qtbot, demo, tmp_path, monkeypatch
):
    first = MainWindow()
    qtbot.addWidget(first)
    # a case file named beside the images becomes the reading
    first.open_paths([demo, demo / "expected_case.json"])
    reading = first.reading_session.reading.state
    assert len(reading.measurements) == 15
    out = tmp_path / "export"
    export(first, ExportChoices(out))
    lengths = sorted(m.long_mm for m in reading.measurements)
    first.close()

    # a fresh data folder: nothing saved, so the report restores the reading
    monkeypatch.setenv("NADIR_DATA_DIR", str(tmp_path / "elsewhere"))
    second = MainWindow()
    qtbot.addWidget(second)
    second.open_paths([demo, out / "dicom"])
    restored = second.reading_session.reading.state
    assert sorted(m.long_mm for m in restored.measurements) == pytest.approx(
        lengths, abs=0.05
    )
    assert [x.id for x in restored.lesions] == [x.id for x in reading.lesions]


def test_a_workspace_exports_from_the_command_line_without_naming_the_studies(
    qtbot, demo, tmp_path, private_data_dir
):
    import sys
    from pathlib import Path

    window = MainWindow()
    qtbot.addWidget(window)
    window.open_paths([demo, demo / "expected_case.json"])
    workspace = window.reading_session.workspace.path
    window.close()
    out = tmp_path / "from-workspace"
    result = subprocess.run(
        [sys.executable, "-m", "app", "export", str(workspace), "--out", str(out)],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (out / "dicom" / "measurement-report.dcm").is_file()
    assert len(json.loads((out / "case.json").read_text())["lesions"]) == 7


def test_a_failed_export_leaves_no_folder_behind(demo, tmp_path):
    from reporting.export import export_reading
    from reporting.kos import KosError

    case = json.loads((demo / "expected_case.json").read_text())
    lesion = case["lesions"][0]
    lesion["measurements"]["T0"]["image"]["sop_uid"] = "1.2.3.4.5.6.7.8.9"
    out = tmp_path / "exports" / "reading"
    with pytest.raises(KosError, match="1.2.3.4.5.6.7.8.9 is not among"):
        export_reading(case, [demo], out)
    assert not out.exists()
    assert list((tmp_path / "exports").iterdir()) == []
