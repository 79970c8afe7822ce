"""Small synthetic CT studies and a RECIST case on them, for the reporting tests.

Three studies of one patient (baseline, nadir, current), each a series of three
axial 48 x 48 slices with 0.8 mm pixels and 5 mm steps (written by
viewer.synthetic), with a bright disc per lesion. The case measures the discs with
end points on the slices, so every length and point is known.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import FileDataset
from pydicom.uid import generate_uid

from viewer.synthetic import CTSeries, Patient, StackGeometry, Study, write_ct_series

PATIENT_NAME = "Doe^Jane"
PATIENT_ID = "PAT-123456"
SPACING_MM = 0.8
SIZE = 48
ORIGIN = (-19.2, -19.2)
DATES = ("20260112", "20260320", "20260601")


def write_series(
    folder: Path,
    study_uid: str,
    date: str,
    z0_mm: float = 0.0,
    discs: tuple[tuple[float, float, float], ...] = ((0.0, 0.0, 8.0),),
) -> list[FileDataset]:
    """Write three slices of one study into ``folder``; returns their datasets.

    ``discs`` are (x, y, radius) in patient mm, drawn on the middle slice.
    """
    geometry = StackGeometry.regular(
        SIZE,
        SIZE,
        3,
        (ORIGIN[0], ORIGIN[1], z0_mm),
        (0.0, 0.0, 5.0),
        (SPACING_MM, SPACING_MM),
    )
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    px = ORIGIN[0] + xx * SPACING_MM
    py = ORIGIN[1] + yy * SPACING_MM
    slices = np.full((3, SIZE, SIZE), -1000.0)
    slices[:, (px**2 + py**2) < 17**2] = 30.0
    for x, y, r in discs:
        slices[1][((px - x) ** 2 + (py - y) ** 2) < r**2] = 120.0
    day = dt.date(int(date[:4]), int(date[4:6]), int(date[6:]))
    paths = write_ct_series(
        folder,
        slices,
        geometry,
        Patient(PATIENT_NAME, PATIENT_ID, dt.date(1960, 2, 3), "F"),
        Study(
            study_instance_uid=study_uid,
            study_datetime=dt.datetime.combine(day, dt.time(10, 15)),
            study_description="CT chest",
            accession_number="ACC" + date,
            referring_physician_name="Who^Referred",
        ),
        CTSeries(
            slice_thickness_mm=5.0,
            institution_name="General Hospital",
            series_description="axial 5 mm",
        ),
    )
    return [pydicom.dcmread(path) for path in paths]


def write_studies(root: Path) -> list[list[FileDataset]]:
    """Baseline, nadir and current study under ``root``; lesion L1 shrinks, regrows."""
    studies = []
    for n, (date, radius) in enumerate(zip(DATES, (8.0, 5.0, 7.0), strict=True)):
        studies.append(
            write_series(
                root / f"study{n}",
                generate_uid(),
                date,
                z0_mm=-5.0 + n,
                discs=((-6.0, -4.0, radius), (8.0, 8.0, 4.0)),
            )
        )
    return studies


def middle(series: list[FileDataset]) -> FileDataset:
    return series[1]


def case_for(studies: list[list[FileDataset]]) -> dict[str, Any]:
    """A RECIST case measured on the middle slice of each study."""
    timepoints = []
    lesions: dict[str, dict[str, Any]] = {
        "L1": {
            "id": "L1",
            "kind": "target",
            "organ": "liver",
            "node": False,
            "measurements": {},
        },
        "L2": {
            "id": "L2",
            "kind": "target",
            "organ": "mediastinal node",
            "node": True,
            "measurements": {},
        },
        "N1": {"id": "N1", "kind": "non-target", "organ": "bone", "assessments": {}},
    }
    long_l1 = (16.0, 10.0, 14.0)
    for n, series in enumerate(studies):
        header = middle(series)
        tp = f"T{n}"
        date = str(header.StudyDate)
        timepoints.append(
            {
                "id": tp,
                "date": f"{date[:4]}-{date[4:6]}-{date[6:]}",
                "study_uid": str(header.StudyInstanceUID),
                **({"baseline": True} if n == 0 else {}),
            }
        )
        z = float(header.ImagePositionPatient[2])
        half = long_l1[n] / 2
        lesions["L1"]["measurements"][tp] = {
            "long_mm": long_l1[n],
            "image": {
                "sop_uid": str(header.SOPInstanceUID),
                "points_mm": [[-6.0 - half, -4.0, z], [-6.0 + half, -4.0, z]],
            },
        }
        short = (16.2, 9.4, 11.7)[n]
        lesions["L2"]["measurements"][tp] = {
            "long_mm": short + 4.0,
            "short_mm": short,
            "image": {
                "sop_uid": str(header.SOPInstanceUID),
                "points_mm": [[6.0 - short / 2, 8.0, z], [10.0 + short / 2, 8.0, z]],
            },
        }
        lesions["N1"]["assessments"][tp] = "present"
    return {
        "format": "nadir-case/1",
        "patient": {"id": PATIENT_ID},
        "timepoints": timepoints,
        "lesions": list(lesions.values()),
    }


def headers_by_uid(studies: list[list[FileDataset]]) -> dict[str, FileDataset]:
    return {str(ds.SOPInstanceUID): ds for series in studies for ds in series}
