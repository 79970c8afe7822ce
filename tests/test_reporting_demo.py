"""The demo reading exports, in full and de-identified, through the command line."""

from __future__ import annotations

import json
import subprocess

import pytest
from reporting_checks import dciodvfy_errors, dsrdump

from app.cli import main
from measurement.case import parse_case
from reporting.srread import read_sr
from viewer.demo_case import write_demo_case

# The application's QApplication first, so the report's QGuiApplication is not
# the one widget tests later find.
pytestmark = pytest.mark.usefixtures("qapp")


def test_demo_reading_exports_deidentified(tmp_path, capsys):
    folder = write_demo_case(tmp_path / "demo", size=64, slices=24)
    case_path = folder / "expected_case.json"
    expected = json.loads(case_path.read_text())
    out = tmp_path / "out"
    code = main(
        [
            "export",
            str(case_path),
            "--studies",
            str(folder),
            "--out",
            str(out),
            "--lang",
            "de",
            "--deidentify",
            "--secondary-capture",
            "--findings",
            "Zwei Leberherde größer; neuer Lungenrundherd.",
        ]
    )
    assert code == 0, capsys.readouterr().err
    dicom = sorted((out / "dicom").glob("*.dcm"))
    # SR, one key object selection per study, one secondary capture per key image
    targets = sum(1 for les in expected["lesions"] if les["kind"] == "target")
    measured = {
        m["image"]["sop_uid"]
        for les in expected["lesions"]
        for m in les.get("measurements", {}).values()
    }
    assert len(dicom) == 1 + 3 + len(measured)
    assert targets == 5
    for path in dicom:
        assert dciodvfy_errors(path) == [], path.name
    assert dsrdump(out / "dicom" / "measurement-report.dcm").returncode == 0

    back = read_sr(out / "dicom" / "measurement-report.dcm")
    parse_case(back)
    for original, restored in zip(expected["lesions"], back["lesions"], strict=True):
        assert restored["id"] == original["id"]
        for tp, m in original.get("measurements", {}).items():
            got = restored["measurements"][tp]
            assert round(got["long_mm"], 1) == round(m["long_mm"], 1)
            assert round(got["short_mm"], 1) == round(m["short_mm"], 1)
    assert back["patient"]["id"] != expected["patient"]["id"]

    info = subprocess.run(
        ["pdfinfo", str(out / "report-de.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pages = int(next(x for x in info.splitlines() if x.startswith("Pages:")).split()[1])
    assert pages == 2 + (len(measured) + 3) // 4
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(out / "report-de.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )
    assert "114,0 mm" in text and "71,0 mm" in text and "100,0 mm" in text
    assert "Progrediente Erkrankung (PD)" in text
    assert "Anonymisiert für die Lehre" in text
    assert "NADIR-DEMO-001" not in text and "DEMO, ALEX" not in text
