"""``nadir recist`` in a real subprocess: the table, JSON, and one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from case_builder import case, example_case, target
from reporting_testdata import case_for, headers_by_uid, write_studies

from reporting.sr import write_sr

ROOT = Path(__file__).resolve().parents[1]


def nadir(*args):
    return subprocess.run(
        [sys.executable, "-m", "app", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def write(tmp_path, data, name="case.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def example_1_file(tmp_path):
    data = case(
        [0, 56, 112],
        target("L1", 30.0, 20.0, 21.0),
        target("L2", 20.0, 15.0, 15.0, organ="lung"),
        target("L3", 10.0, 7.0, "not-assessed", organ="kidney"),
    )
    return write(tmp_path, data)


def test_table_has_timepoints_as_columns(example_1_file):
    result = nadir("recist", example_1_file)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["T0", "(baseline)", "T1", "T2"]
    assert lines[2].split() == ["sum", "(mm)", "60.0", "42.0", "36.0*"]
    assert lines[3].split() == ["nadir", "(mm)", "-", "60.0", "42.0"]
    assert lines[4].split() == ["from", "baseline", "-", "-30.0%", "-"]
    assert lines[5].split() == ["from", "nadir", "-", "-30.0%", "-"]
    assert lines[6].split() == ["target", "-", "PR", "NE"]
    assert lines[7].split() == ["non-target", "-", "-", "-"]
    assert lines[8].split() == ["new", "lesions", "-", "no", "no"]
    assert lines[9].split() == ["overall", "-", "PR", "NE"]
    assert "* incomplete sum: a target lesion was not assessed" in result.stdout
    assert "  T1: SD if the sum grows by more than 0.0 mm" in result.stdout
    assert "  T2: PD if the sum grows 14.4 mm more" in result.stdout
    assert "  T2: not assessed: L3" in result.stdout
    assert "best overall response: SD at T1" in result.stdout
    assert "warnings: none" in result.stdout
    assert result.stderr == ""


def test_json_output_is_the_engine_result(example_1_file):
    result = nadir("recist", example_1_file, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    t1 = out["timepoints"][1]
    assert t1["sum_mm"] == 42.0
    assert t1["change_from_baseline_pct"] == pytest.approx(-30.0)
    assert t1["target"] == "PR"
    assert out["best_overall_response"] == "SD"


def test_sd_interval_and_confirmation_options(tmp_path):
    path = write(tmp_path, case([0, 35, 100], target("L1", 50.0, 30.0, 40.0)))
    assert "best overall response: PD at T2" in nadir("recist", path).stdout
    assert (
        "best overall response: SD at T1"
        in nadir("recist", path, "--sd-min-days", "35").stdout
    )
    assert (
        "best overall response: PR at T1"
        in nadir("recist", path, "--no-confirmation").stdout
    )


def test_warnings_are_listed(tmp_path):
    path = write(tmp_path, case([0], target("L1", 9.0)))
    result = nadir("recist", path)
    assert result.returncode == 0
    assert "warnings: 1" in result.stdout
    assert "L1: non-nodal target with longest diameter 9.0 mm" in result.stdout
    assert "[RECIST 1.1 section 3.1.1]" in result.stdout


def test_example_case_file_prints(tmp_path):
    result = nadir("recist", write(tmp_path, example_case()))
    assert result.returncode == 0
    assert "ANON-001" not in result.stdout
    assert "equivocal" in result.stdout


def test_broken_file_is_one_line_naming_file_and_field(tmp_path):
    data = example_case()
    data["lesions"][0]["measurements"]["T1"]["long_mm"] = "abc"
    path = write(tmp_path, data)
    result = nadir("recist", path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"nadir: error: {path}: lesions[0].measurements.T1.long_mm: expected a "
        'number >= 0, got "abc"\n'
    )


def test_missing_file_exits_2(tmp_path):
    path = tmp_path / "nothing.json"
    result = nadir("recist", path)
    assert result.returncode == 2
    assert result.stderr == f"nadir: error: {path}: no such file\n"


def test_invalid_json_exits_2_with_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        '{"format": "nadir-case/1",\n  "timepoints": [,]}', encoding="utf-8"
    )
    result = nadir("recist", path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"nadir: error: {path}: not valid JSON at line 2")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_folder_instead_of_file_exits_2(tmp_path):
    result = nadir("recist", tmp_path)
    assert result.returncode == 2
    assert "is a folder" in result.stderr


def test_measurement_report_is_evaluated_too(tmp_path):
    studies = write_studies(tmp_path / "src")
    report = tmp_path / "report.dcm"
    write_sr(report, case_for(studies), headers_by_uid(studies))
    result = nadir("recist", report)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2].split() == ["sum", "(mm)", "32.2", "19.4", "25.7"]
    assert lines[9].split() == ["overall", "-", "PR", "PD"]
