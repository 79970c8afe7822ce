"""``nadir export`` and ``nadir import`` without a window."""

from __future__ import annotations

import json

import pytest
from reporting_testdata import case_for, write_studies

from app.cli import main

# The application's QApplication first, so the report's QGuiApplication is not
# the one widget tests later find.
pytestmark = pytest.mark.usefixtures("qapp")


def test_export_then_import_round_trip(tmp_path, capsys):
    studies = write_studies(tmp_path / "src")
    case = case_for(studies)
    case_path = tmp_path / "case.json"
    case_path.write_text(json.dumps(case))
    out = tmp_path / "out"
    code = main(
        [
            "export",
            str(case_path),
            "--studies",
            str(tmp_path / "src"),
            "--out",
            str(out),
            "--lang",
            "ru",
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "[1/7] indexing the source images" in captured.err
    assert (out / "report-ru.pdf").is_file()
    assert (out / "dicom" / "measurement-report.dcm").is_file()

    imported = tmp_path / "imported.json"
    assert (
        main(
            [
                "import",
                str(out / "dicom" / "measurement-report.dcm"),
                "--out",
                str(imported),
            ]
        )
        == 0
    )
    back = json.loads(imported.read_text())
    assert [lesion["id"] for lesion in back["lesions"]] == ["L1", "L2", "N1"]
    assert back["lesions"][0]["measurements"]["T2"]["long_mm"] == 14.0
    assert "wrote" in capsys.readouterr().out


def test_export_errors_are_one_line(tmp_path, capsys):
    studies = write_studies(tmp_path / "src")
    case_path = tmp_path / "case.json"
    case_path.write_text(json.dumps(case_for(studies)))
    out = tmp_path / "out"
    out.mkdir()
    (out / "x").write_text("")
    code = main(
        [
            "export",
            str(case_path),
            "--studies",
            str(tmp_path / "src"),
            "--out",
            str(out),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("nadir: error: output folder")
    assert "exists and is not empty" in err
    assert "Traceback" not in err

    case_path.write_text('{"format": "nadir-case/1", "lesions": [}')
    assert (
        main(
            [
                "export",
                str(case_path),
                "--studies",
                str(tmp_path / "src"),
                "--out",
                str(tmp_path / "new"),
            ]
        )
        == 2
    )
    assert "not valid JSON at line 1 column" in capsys.readouterr().err

    assert main(["export", str(case_path), "--out", str(tmp_path / "new")]) == 2
    assert (
        "give the study folders that hold the measured images with --studies"
        in capsys.readouterr().err
    )


def test_import_refuses_existing_file_and_non_sr(tmp_path, capsys):
    studies = write_studies(tmp_path / "src")
    existing = tmp_path / "case.json"
    existing.write_text("{}")
    sr_like = tmp_path / "src" / "study0" / "IM00001.dcm"
    assert main(["import", str(sr_like), "--out", str(existing)]) == 2
    assert "exists; choose a new file name" in capsys.readouterr().err
    assert main(["import", str(sr_like), "--out", str(tmp_path / "n.json")]) == 2
    assert "Modality is 'CT', expected 'SR'" in capsys.readouterr().err
    assert studies


def test_export_from_a_workspace(tmp_path, capsys):
    from measurement.reading import Reading
    from reporting.workspace import Workspace

    studies = write_studies(tmp_path / "src")
    case = case_for(studies)
    path = tmp_path / "data" / "reading.nadir-workspace"
    with Workspace(path) as workspace:
        workspace.save(Reading.from_case(case))
    out = tmp_path / "out"
    code = main(
        [
            "export",
            str(path),
            "--studies",
            str(tmp_path / "src"),
            "--out",
            str(out),
            "--findings",
            "Liver lesion regrew.",
        ]
    )
    assert code == 0, capsys.readouterr().err
    exported = json.loads((out / "case.json").read_text())
    assert [lesion["id"] for lesion in exported["lesions"]] == ["L1", "L2", "N1"]
    assert (out / "report-en.pdf").is_file()
    assert (
        main(
            [
                "export",
                str(tmp_path / "missing.nadir-workspace"),
                "--studies",
                str(tmp_path / "src"),
                "--out",
                str(tmp_path / "o2"),
            ]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err


def test_import_names_the_measurements_a_recist_case_cannot_hold(shared_data, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    sr = shared_data / "qiicr_sr_tid1500_seg_example" / "sr.dcm"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "import",
            str(sr),
            "--out",
            str(tmp_path / "q.json"),
        ],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("not imported (22 measurements")
    assert "  primary tumor: Volume = 33.5824" in lines
    assert "  primary tumor: Total Lesion Glycolysis = 202.008" in lines
