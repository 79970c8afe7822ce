"""Exporting readings made on the real public scans (skipped where they are absent)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from reporting_checks import dciodvfy_errors, dsrdump

from measurement.case import parse_case
from reporting.export import export_reading
from reporting.imagegeom import image_plane
from reporting.sources import index_sources
from reporting.srread import read_sr

# The application's QApplication first, so the report's QGuiApplication is not
# the one widget tests later find.
pytestmark = pytest.mark.usefixtures("qapp")


def _caliper(header, centre_col_row, length_mm):
    """End points of a horizontal caliper of ``length_mm`` on an image (LPS, mm)."""
    plane = image_plane(header)
    centre = plane.to_patient(np.asarray([centre_col_row], dtype=float))[0]
    half = plane.row_cosine * length_mm / 2
    return [list(centre - half), list(centre + half)]


@pytest.mark.realdata
def test_export_of_a_reading_on_two_real_mr_visits(shared_data, tmp_path):
    root = shared_data / "rider_neuro_mri_2visits_slices" / "RIDER Neuro MRI-3369019796"
    if not root.is_dir():
        pytest.skip(f"{root} not present")
    found = index_sources([root])
    axial = sorted(
        (h for h in found.headers.values() if h.SeriesDescription == "ax 5 flip"),
        key=lambda h: (h.StudyDate, int(h.InstanceNumber)),
    )
    first, last = axial[0], axial[-1]
    assert first.StudyDate == "19040321" and last.StudyDate == "19040323"
    case = {
        "format": "nadir-case/1",
        "patient": {"id": str(first.PatientID)},
        "reader": "Test Reader",
        "timepoints": [
            {
                "id": "T0",
                "date": "1904-03-21",
                "baseline": True,
                "study_uid": str(first.StudyInstanceUID),
            },
            {"id": "T1", "date": "1904-03-23", "study_uid": str(last.StudyInstanceUID)},
        ],
        "lesions": [
            {
                "id": "L1",
                "kind": "target",
                "organ": "brain",
                "node": False,
                "measurements": {
                    "T0": {
                        "long_mm": 24.0,
                        "image": {
                            "sop_uid": str(first.SOPInstanceUID),
                            "points_mm": _caliper(first, (128.0, 100.0), 24.0),
                        },
                    },
                    "T1": {
                        "long_mm": 15.5,
                        "image": {
                            "sop_uid": str(last.SOPInstanceUID),
                            "points_mm": _caliper(last, (130.0, 101.0), 15.5),
                        },
                    },
                },
            },
        ],
    }
    parse_case(case)
    out = tmp_path / "out"
    result = export_reading(case, [root], out, "de", deidentify=False)
    sr_path = out / "dicom" / "measurement-report.dcm"
    assert dciodvfy_errors(sr_path) == []
    assert dsrdump(sr_path).returncode == 0
    assert '(25056-3,LN,"MRI unspecified body region")' in dsrdump(sr_path).stdout
    kos = sorted((out / "dicom").glob("key-objects-*.dcm"))
    assert len(kos) == 2
    for path in kos:
        assert dciodvfy_errors(path) == []
    # one lesion: header, tables and timeline on page 1, key images on page 2
    assert result.pages == 2
    back = read_sr(sr_path)
    m = back["lesions"][0]["measurements"]
    assert (m["T0"]["long_mm"], m["T1"]["long_mm"]) == (24.0, 15.5)
    np.testing.assert_allclose(
        m["T1"]["image"]["points_mm"],
        case["lesions"][0]["measurements"]["T1"]["image"]["points_mm"],
        atol=1e-3,
    )
    text = subprocess.run(
        ["pdftotext", str(out / "report-de.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "−35,4 %" in text  # 15.5 / 24.0 - 1
    assert "Partielle Remission (PR)" in " ".join(text.split())
    assert json.loads((out / "case.json").read_text())["lesions"][0]["id"] == "L1"


@pytest.mark.realdata
def test_export_of_the_lidc_nodule_deidentified(shared_data, tmp_path):
    root = shared_data / "lidc0001_ct_chest_nodule"
    if not root.is_dir():
        pytest.skip(f"{root} not present")
    found = index_sources([root])
    # the slice nearest z = -117.5 mm holds the nodule (SOURCES.md)
    header = min(
        found.headers.values(),
        key=lambda h: abs(float(h.ImagePositionPatient[2]) + 117.5),
    )
    case = {
        "format": "nadir-case/1",
        "patient": {"id": str(header.PatientID)},
        "timepoints": [
            {
                "id": "T0",
                "date": "2000-01-01",
                "baseline": True,
                "study_uid": str(header.StudyInstanceUID),
            },
        ],
        "lesions": [
            {
                "id": "L1",
                "kind": "target",
                "organ": "lung",
                "node": False,
                "measurements": {
                    "T0": {
                        "long_mm": 27.4,
                        "image": {
                            "sop_uid": str(header.SOPInstanceUID),
                            "points_mm": _caliper(header, (315.0, 366.0), 27.4),
                        },
                    }
                },
            },
        ],
    }
    out = tmp_path / "out"
    export_reading(case, [root], out, "ru", deidentify=True)
    for path in (out / "dicom").glob("*.dcm"):
        assert dciodvfy_errors(path) == [], path.name
        raw = path.read_bytes()
        assert str(header.SOPInstanceUID).encode() not in raw
        assert str(header.StudyInstanceUID).encode() not in raw
        assert b"LIDC-IDRI-0001" not in raw
    back = read_sr(out / "dicom" / "measurement-report.dcm")
    assert back["lesions"][0]["measurements"]["T0"]["long_mm"] == 27.4
    assert back["patient"]["id"].startswith("ANON-")
    assert (out / "key-images" / "01-T0.png").stat().st_size > 10_000
    text = subprocess.run(
        ["pdftotext", str(out / "report-ru.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Это первые измерения очагов опухоли" in text
    assert "27,4 мм" in text and "LIDC" not in text


@pytest.mark.realdata
def test_a_caliper_on_an_enhanced_multiframe_mr(shared_data, tmp_path):
    root = shared_data / "philips_mr_enhanced_multiframe"
    if not root.is_dir():
        pytest.skip(f"{root} not present")
    header = next(iter(index_sources([root]).headers.values()))
    points = [[-10.0, 5.0, 12.0], [10.0, 5.0, 12.0]]
    case = {
        "format": "nadir-case/1",
        "patient": {"id": str(header.PatientID)},
        "timepoints": [
            {
                "id": "T0",
                "date": "2018-05-26",
                "baseline": True,
                "study_uid": str(header.StudyInstanceUID),
            },
        ],
        "lesions": [
            {
                "id": "L1",
                "kind": "target",
                "organ": "brain",
                "node": False,
                "measurements": {
                    "T0": {
                        "long_mm": 20.0,
                        "image": {
                            "sop_uid": str(header.SOPInstanceUID),
                            "points_mm": points,
                        },
                    }
                },
            },
        ],
    }
    out = tmp_path / "out"
    export_reading(case, [root], out, "en")
    sr_path = out / "dicom" / "measurement-report.dcm"
    assert dciodvfy_errors(sr_path) == []
    # the plane of a multi-frame image is per frame: the end points are SCOORD3D
    assert "SCOORD3D" in dsrdump(sr_path).stdout
    image = read_sr(sr_path)["lesions"][0]["measurements"]["T0"]["image"]
    assert image["sop_uid"] == str(header.SOPInstanceUID)
    np.testing.assert_allclose(image["points_mm"], points, atol=1e-3)
