"""The window's export job: progress, result and errors on the GUI thread."""

from __future__ import annotations

import pytest
from reporting_testdata import case_for, write_studies

from app import workers
from app.export_job import ExportRequest, start_export


@pytest.fixture
def synchronous(monkeypatch):
    monkeypatch.setattr(workers.Workers, "synchronous", True)


def test_export_job_reports_progress_and_result(qapp, synchronous, tmp_path):
    studies = write_studies(tmp_path / "src")
    results, errors, steps = [], [], []
    start_export(
        case_for(studies),
        [tmp_path / "src"],
        ExportRequest(tmp_path / "out", "ru", findings="Без изменений."),
        results.append,
        errors.append,
        lambda fraction, text: steps.append((round(fraction, 3), text)),
    )
    qapp.processEvents()
    assert errors == []
    assert results[0].pages == 3
    assert (tmp_path / "out" / "report-ru.pdf").is_file()
    assert steps[0] == (0.0, "indexing the source images")
    assert steps[-1] == (round(6 / 7, 3), "done")


def test_export_job_reports_a_used_folder_as_one_line(qapp, synchronous, tmp_path):
    studies = write_studies(tmp_path / "src")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "report.pdf").write_bytes(b"old")
    results, errors = [], []
    start_export(
        case_for(studies),
        [tmp_path / "src"],
        ExportRequest(tmp_path / "out"),
        results.append,
        errors.append,
    )
    qapp.processEvents()
    assert results == []
    assert len(errors) == 1 and "exists and is not empty" in errors[0]
    assert (tmp_path / "out" / "report.pdf").read_bytes() == b"old"
