"""Small synthetic CT studies and a RECIST case on them, for the reporting tests.

Three studies of one patient (baseline, nadir, current), each a series of three
axial 48 x 48 slices with 0.8 mm pixels and 5 mm steps, with a bright disc per
lesion. The case measures the discs with end points on the slices, so every length
and point is known.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

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
    folder.mkdir(parents=True, exist_ok=True)
    series_uid = generate_uid()
    frame_uid = generate_uid()
    out = []
    for k in range(3):
        z = z0_mm + 5.0 * k
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(
            str(folder / f"ct{k}.dcm"), {}, file_meta=meta, preamble=b"\0" * 128
        )
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.PatientName = PATIENT_NAME
        ds.PatientID = PATIENT_ID
        ds.PatientBirthDate = "19600203"
        ds.PatientSex = "F"
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.FrameOfReferenceUID = frame_uid
        ds.StudyDate = date
        ds.SeriesDate = date
        ds.ContentDate = date
        ds.StudyTime = "101500"
        ds.AccessionNumber = "ACC" + date
        ds.StudyID = "1"
        ds.ReferringPhysicianName = "Who^Referred"
        ds.InstitutionName = "General Hospital"
        ds.Modality = "CT"
        ds.Manufacturer = "Synthetic"
        ds.SeriesNumber = 2
        ds.InstanceNumber = k + 1
        ds.StudyDescription = "CT chest"
        ds.SeriesDescription = "axial 5 mm"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.ImagePositionPatient = [ORIGIN[0], ORIGIN[1], z]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [SPACING_MM, SPACING_MM]
        ds.SliceThickness = 5.0
        ds.KVP = 120
        ds.PositionReferenceIndicator = ""
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows = SIZE
        ds.Columns = SIZE
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 1
        ds.RescaleIntercept = -1024
        ds.RescaleSlope = 1
        ds.WindowCenter = 40
        ds.WindowWidth = 400
        pixels = np.full((SIZE, SIZE), 1024 - 1000, dtype=np.int16)
        yy, xx = np.mgrid[0:SIZE, 0:SIZE]
        px = ORIGIN[0] + xx * SPACING_MM
        py = ORIGIN[1] + yy * SPACING_MM
        pixels[(px**2 + py**2) < 17**2] = 1024 + 30
        if k == 1:
            for x, y, r in discs:
                pixels[((px - x) ** 2 + (py - y) ** 2) < r**2] = 1024 + 120
        ds.PixelData = pixels.tobytes()
        ds.save_as(folder / f"ct{k}.dcm", enforce_file_format=True)
        out.append(ds)
    return out


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
