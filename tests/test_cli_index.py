"""``nadir index``: the printed tree, the JSON document and one-line errors."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from app import paths
from app.cli import main
from tests.dicom_factory import SAGITTAL, dicomdir, image, stack, write


def test_text_lists_patient_study_series_and_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack(tmp_path, 3)
    (tmp_path / "junk.bin").write_bytes(b"\x00" * 300)
    assert main(["index", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Sizes are rows x columns (pixels); pixel spacing is")
    assert out[1] == "Patient Test^Patient [ID P1] born 1960-01-01 sex F"
    assert out[2] == "  Study 2024-01-01 10:15 CT CHEST accession A1"
    # 6 rows x 8 columns, 0.5 mm pixels, 2 mm thick, 2 mm apart.
    assert out[3] == (
        "    Series 3 CT Axial 2 mm 3 images 6x8 px 0.5x0.5 mm axial thk 2 mm step 2 mm"
    )
    assert out[4] == "Problems (1):"
    assert out[5].startswith(f"  {tmp_path / 'junk.bin'}: not a DICOM file")
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


def test_sizes_are_rows_by_columns_in_labels_and_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One series: a 4-row x 9-column sagittal localizer beside 6 x 8 axial slices;
    # an RGB capture without Slice Thickness; uneven steps in the axial part.
    stack(tmp_path / "axial", 2)
    write(image(np.zeros((6, 8), np.int16), position=(-10, -20, 53)), tmp_path / "z")
    localizer = image(
        np.zeros((4, 9), np.int16),
        orientation=SAGITTAL,
        spacing=(0.9, 0.7),
        image_type=("ORIGINAL", "PRIMARY", "LOCALIZER"),
    )
    write(localizer, tmp_path / "loc")
    assert main(["index", str(tmp_path)]) == 0
    lines = [
        line.strip()
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("    Series")
    ]
    assert lines == [
        "Series 3 CT [images axial 6x8] Axial 2 mm 3 images 6x8 px 0.5x0.5 mm axial "
        "thk 2 mm step 1 to 2 mm",
        "Series 3 CT [localizer sagittal 4x9] Axial 2 mm 1 image 4x9 px 0.9x0.7 mm "
        "sagittal thk 2 mm",
    ]


def test_rgb_capture_has_no_thickness(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack(tmp_path, 2)
    # A 2 x 5 RGB secondary capture: no Slice Thickness, no plane geometry.
    capture = image(
        np.zeros((2, 5), np.uint8),
        thickness=None,
        position=None,
        orientation=None,
        spacing=None,
        photometric="RGB",
    )
    capture.SamplesPerPixel = 3
    capture.PlanarConfiguration = 0
    capture.PixelData = bytes(2 * 5 * 3)
    write(capture, tmp_path / "capture")
    assert main(["index", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    at = next(n for n, s in enumerate(out) if "2x5 px" in s)
    assert "thk" not in out[at] and out[at].endswith("1 image 2x5 px (not loadable)")
    # Only why it is not shown; nothing about how it would be shown.
    assert out[at + 1 : at + 3] == [
        "        note: series mixes several image sizes, several orientations: split "
        "into 2 stacks; this is 'no orientation 2x5' with 1 image",
        "        note: Photometric Interpretation (0028,0004) 'RGB': colour images "
        "are listed but not loaded as grey-scale stacks",
    ]


def test_files_missing_from_a_dicomdir_are_counted_per_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(2):
        ds = image(np.zeros((4, 4), np.int16), position=(0, 0, 2.0 * n), instance=n)
        write(ds, tmp_path / "DICOM" / "S1" / f"I{n}")
    ids = [("DICOM", "S1", f"I{n}") for n in range(2)]
    ids += [("DICOM", "S2", f"I{n}") for n in range(30)]
    ids += [("DICOM", "S3", "I0")]
    dicomdir(tmp_path / "DICOMDIR", ids)
    assert main(["index", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index("Problems (31):")
    assert out[start + 1 :] == [
        f"  {Path('DICOM/S2')}: 30 files named by DICOMDIR are missing",
        f"  {Path('DICOM/S3')}: 1 file named by DICOMDIR is missing",
        "  (copy the whole disc or folder again; --verbose or --json lists every "
        "missing file)",
    ]
    assert main(["index", "--verbose", str(tmp_path)]) == 0
    verbose = capsys.readouterr().out
    assert verbose.count("but missing; copy the whole disc or folder again") == 31
    assert main(["index", "--json", str(tmp_path)]) == 0
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert len(problems) == 31
    assert {p["missing_from"] for p in problems} == {str(tmp_path / "DICOMDIR")}


def test_empty_folder_says_no_dicom_files_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["index", str(tmp_path)]) == 1
    assert capsys.readouterr().out == f"no DICOM files found in {tmp_path}\n"


def test_register_names_each_stack_and_asks_for_one_series_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack(tmp_path / "a", 2)
    stack(
        tmp_path / "b",
        3,
        study_uid="1.2.3.5",
        series_uid="1.2.3.4",
        series_number=7,
        study_date="20231231",
    )
    assert main(["register", str(tmp_path), str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"nadir: error: FIXED_SERIES {tmp_path}: 2 image stacks found: "
        "2023-12-31 10:15 series 7 Axial 2 mm (3 images); "
        "2024-01-01 10:15 series 3 Axial 2 mm (2 images). "
        "Pass the folder of one series ('nadir index' lists them)\n"
    )
