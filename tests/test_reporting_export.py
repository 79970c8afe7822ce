"""Exporting a reading: every file, refusal of used folders, de-identification."""

from __future__ import annotations

import json
import shutil
import subprocess

import pydicom
import pytest
from reporting_checks import dciodvfy_errors, dsrdump
from reporting_testdata import PATIENT_ID, case_for, write_studies

from reporting.deidentify import Deidentifier
from reporting.export import ExportError, export_reading
from reporting.sr import read_sr

# The application's QApplication first, so the report's QGuiApplication is not
# the one widget tests later find.
pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def reading(tmp_path):
    studies = write_studies(tmp_path / "src")
    case = case_for(studies)
    case["reader"] = "Smith^Anna"
    return case, studies


FINDINGS = "Liver lesion L1 regrew; Jane Doe tolerated contrast well."


def case_flagged(reading):
    return reading[1][2][0].SOPInstanceUID


def test_refuses_a_case_that_breaks_the_format(reading, tmp_path):
    case, _ = reading
    case["lesions"][0]["measurements"]["T1"]["long_mm"] = -3
    with pytest.raises(ExportError, match=r"lesions\[0\]\.measurements\.T1\.long_mm"):
        export_reading(case, [tmp_path / "src"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_export_writes_every_output(reading, tmp_path):
    case, _ = reading
    steps = []
    result = export_reading(
        case,
        [tmp_path / "src"],
        tmp_path / "out",
        "de",
        progress=lambda done, total, message: steps.append((done, total, message)),
        secondary_captures=True,
        flagged=[str(case_flagged(reading))],
        findings=FINDINGS,
    )
    out = tmp_path / "out"
    names = sorted(str(p.relative_to(out)) for p in result.files)
    assert names == [
        "case.json",
        "dicom/key-image-01.dcm",
        "dicom/key-image-02.dcm",
        "dicom/key-image-03.dcm",
        "dicom/key-image-04.dcm",
        "dicom/key-objects-1.dcm",
        "dicom/key-objects-2.dcm",
        "dicom/key-objects-3.dcm",
        "dicom/measurement-report.dcm",
        "key-images/01-T0.png",
        "key-images/02-T1.png",
        "key-images/03-T2.png",
        "key-images/04-T2.png",
        "lesion-table.csv",
        "report-de.pdf",
    ]
    assert result.pages == 3
    assert [s[0] for s in steps] == list(range(7))
    for path in (out / "dicom").iterdir():
        assert dciodvfy_errors(path) == [], path.name
    assert dsrdump(out / "dicom" / "measurement-report.dcm").returncode == 0
    assert json.loads((out / "case.json").read_text())["format"] == "nadir-case/1"
    csv_lines = (out / "lesion-table.csv").read_text().splitlines()
    assert csv_lines[0].startswith("lesion,kind,organ,location,node,")
    assert csv_lines[1].startswith("L1,target,liver,")
    assert csv_lines[1].endswith(",no,16.0,10.0,14.0")
    assert csv_lines[2].endswith("mediastinal node,,yes,16.2,9.4,11.7")
    assert "sum_mm,,,,,32.2,19.4,25.7" in csv_lines
    assert "sum_complete,,,,,yes,yes,yes" in csv_lines
    assert "overall,,,,,,PR,PD" in csv_lines
    assert "new_lesions,,,,,,no,no" in csv_lines


def test_existing_output_folder_is_refused(reading, tmp_path):
    case, _ = reading
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("keep me")
    with pytest.raises(ExportError, match="exists and is not empty"):
        export_reading(case, [tmp_path / "src"], out)
    assert (out / "old.txt").read_text() == "keep me"
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]


def test_output_inside_the_sources_is_refused(reading, tmp_path):
    case, _ = reading
    with pytest.raises(ExportError, match="inside the source folder"):
        export_reading(case, [tmp_path / "src"], tmp_path / "src" / "export")


def test_deidentified_export_has_no_identity_and_consistent_uids(reading, tmp_path):
    case, studies = reading
    out = tmp_path / "out"
    deid = Deidentifier(day_shift=-1000, pseudonym="ANON-TEST")
    export_reading(
        case,
        [tmp_path / "src"],
        out,
        "en",
        deidentify=True,
        secondary_captures=True,
        deidentifier=deid,
        flagged=[str(case_flagged(reading))],
        findings=FINDINGS,
    )
    originals = {
        "Doe",
        "Jane",
        PATIENT_ID,
        "Smith",
        "19600203",
        "General Hospital",
        "20260112",
        "2026-01-12",
        "20260320",
        "20260601",
        "ACC20260112",
    }
    for series in studies:
        for ds in series:
            originals |= {
                str(ds.StudyInstanceUID),
                str(ds.SeriesInstanceUID),
                str(ds.SOPInstanceUID),
                str(ds.FrameOfReferenceUID),
            }
    texts = {}
    for path in out.rglob("*"):
        if path.suffix in (".json", ".csv"):
            texts[path.name] = path.read_text()
        elif path.suffix == ".dcm":
            texts[path.name] = path.read_bytes().decode("latin-1")
            ds = pydicom.dcmread(path)
            assert ds.PatientIdentityRemoved == "YES"
            assert ds.PatientID == "ANON-TEST"
            assert dciodvfy_errors(path) == [], path.name
        elif path.suffix == ".pdf" and shutil.which("pdftotext"):
            texts[path.name] = subprocess.run(
                ["pdftotext", str(path), "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
    assert "report-en.pdf" in texts and "measurement-report.dcm" in texts
    for name, text in texts.items():
        leaked = [value for value in originals if value in text]
        assert leaked == [], (name, leaked)

    # the same replacement everywhere: case file, SR and key objects agree
    new_case = json.loads((out / "case.json").read_text())
    assert new_case["patient"] == {"id": "ANON-TEST"}
    assert [t["date"] for t in new_case["timepoints"]] == [
        "2023-04-18",
        "2023-06-24",
        "2023-09-05",
    ]
    back = read_sr(out / "dicom" / "measurement-report.dcm")
    assert [t["study_uid"] for t in back["timepoints"]] == [
        t["study_uid"] for t in new_case["timepoints"]
    ]
    assert [t["date"] for t in back["timepoints"]] == [
        t["date"] for t in new_case["timepoints"]
    ]
    sr_images = {
        m["image"]["sop_uid"]
        for lesion in back["lesions"]
        for m in (lesion.get("measurements") or {}).values()
    }
    case_images = {
        m["image"]["sop_uid"]
        for lesion in new_case["lesions"]
        for m in (lesion.get("measurements") or {}).values()
    }
    assert sr_images == case_images
    kos_refs = set()
    for path in sorted((out / "dicom").glob("key-objects-*.dcm")):
        ds = pydicom.dcmread(path)
        kos_refs |= {
            i.ReferencedSOPSequence[0].ReferencedSOPInstanceUID
            for i in ds.ContentSequence
            if i.ValueType == "IMAGE"
        }
    assert case_images <= kos_refs
    pdf_text = texts["report-en.pdf"]
    assert "[…] tolerated contrast well" in " ".join(pdf_text.split())
    assert "ANON-TEST" in pdf_text


def test_the_table_csv_keeps_each_lesions_location():
    from reporting.csvtable import table_rows

    case = {
        "format": "nadir-case/1",
        "patient": {"id": "P"},
        "timepoints": [{"id": "T0", "date": "2026-01-01", "baseline": True}],
        "lesions": [
            {
                "id": "L1",
                "kind": "target",
                "organ": "lung",
                "location": "right upper lobe",
                "node": False,
                "measurements": {"T0": {"long_mm": 21.0}},
            }
        ],
    }
    rows = table_rows(case, None)
    assert rows[0][:5] == ["lesion", "kind", "organ", "location", "node"]
    assert rows[1] == ["L1", "target", "lung", "right upper lobe", "no", "21.0"]
