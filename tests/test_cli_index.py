"""``nadir index``: the printed tree, the JSON document and one-line errors."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from app import paths
from app.cli import main
from tests.dicom_factory import stack


def test_text_lists_patient_study_series_and_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack(tmp_path, 3)
    (tmp_path / "junk.bin").write_bytes(b"\x00" * 300)
    assert main(["index", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Patient Test^Patient [ID P1] born 1960-01-01 sex F"
    assert out[1] == "  Study 2024-01-01 10:15 CT CHEST accession A1"
    assert out[2] == "    Series 3 CT Axial 2 mm 3 images 8x6 axial 2 mm"
    assert out[3] == "Problems (1):"
    assert out[4].startswith(f"  {tmp_path / 'junk.bin'}: not a DICOM file")
    logging.shutdown()
    logged = paths.log_file().read_text()
    assert "indexed 4 files: 1 patients, 1 series, 1 problems" in logged
    assert "Test^Patient" not in logged and "P1" not in logged


def test_json_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack(tmp_path, 2)
    assert main(["index", "--json", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    (series,) = data["patients"][0]["studies"][0]["series"]
    assert series["count"] == 2 and series["orientation"] == "AXIAL"
    assert sorted(f["path"] for f in series["files"]) == sorted(
        str(p) for p in tmp_path.iterdir()
    )
    assert data["problems"] == []


def test_missing_path_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["index", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err == f"nadir: error: no such file or folder: {tmp_path / 'nope'}\n"


def test_nothing_found_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_text("x")
    assert main(["index", str(tmp_path)]) == 1
    assert "not a DICOM file" in capsys.readouterr().out
