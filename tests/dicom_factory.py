"""Small DICOM files with known geometry and pixel values, written for tests.

Every image is tiny (a few pixels square) so a test writes dozens in
milliseconds; geometry and values are chosen by the test and asserted back.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    CTImageStorage,
    EnhancedCTImageStorage,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    generate_uid,
)

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)


def base_dataset(
    sop_class: str = CTImageStorage,
    *,
    patient_id: str = "P1",
    patient_name: str = "Test^Patient",
    study_uid: str = "1.2.826.0.1.3680043.8.498.1",
    series_uid: str = "1.2.826.0.1.3680043.8.498.2",
    study_date: str = "20240101",
    study_time: str = "101500",
    series_number: int = 3,
    modality: str = "CT",
) -> Dataset:
    """Patient, study and series attributes shared by the test objects."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.PatientID = patient_id
    ds.PatientName = patient_name
    ds.PatientBirthDate = "19600101"
    ds.PatientSex = "F"
    ds.StudyInstanceUID = study_uid
    ds.StudyDate = study_date
    ds.StudyTime = study_time
    ds.StudyDescription = "CT CHEST"
    ds.StudyID = "1"
    ds.AccessionNumber = "A1"
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = series_number
    ds.SeriesDescription = "Axial 2 mm"
    ds.Modality = modality
    ds.FrameOfReferenceUID = "1.2.826.0.1.3680043.8.498.3"
    return ds


def image(
    pixels: np.ndarray,
    *,
    position: Sequence[float] | None = (0.0, 0.0, 0.0),
    orientation: Sequence[float] | None = AXIAL,
    spacing: Sequence[float] | None = (0.5, 0.5),
    thickness: float | None = 2.0,
    slope: float = 1.0,
    intercept: float = -1024.0,
    instance: int = 1,
    bits_stored: int | None = None,
    photometric: str = "MONOCHROME2",
    image_type: Sequence[str] = ("ORIGINAL", "PRIMARY", "AXIAL"),
    **attributes: Any,
) -> Dataset:
    """A single-frame grey-scale image of ``pixels`` (int16 or uint16)."""
    ds = base_dataset(**{k: attributes.pop(k) for k in list(attributes) if k in _BASE})
    ds.ImageType = list(image_type)
    ds.InstanceNumber = instance
    if position is not None:
        ds.ImagePositionPatient = [f"{v:.4f}" for v in position]
    if orientation is not None:
        ds.ImageOrientationPatient = [f"{v:.6f}" for v in orientation]
    if spacing is not None:
        ds.PixelSpacing = [f"{v:g}" for v in spacing]
    if thickness is not None:
        ds.SliceThickness = f"{thickness:g}"
    ds.RescaleSlope = f"{slope:g}"
    ds.RescaleIntercept = f"{intercept:g}"
    _set_pixels(ds, pixels, bits_stored, photometric)
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


_BASE = {
    "patient_id",
    "patient_name",
    "study_uid",
    "series_uid",
    "study_date",
    "study_time",
    "series_number",
    "modality",
    "sop_class",
}


def _set_pixels(
    ds: Dataset, pixels: np.ndarray, bits_stored: int | None, photometric: str
) -> None:
    signed = pixels.dtype.kind == "i"
    ds.Rows, ds.Columns = int(pixels.shape[-2]), int(pixels.shape[-1])
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = bits_stored or pixels.dtype.itemsize * 8
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.PixelData = (
        np.ascontiguousarray(pixels).astype(pixels.dtype.newbyteorder("<")).tobytes()
    )


def write(ds: Dataset, path: Path, syntax: str = ExplicitVRLittleEndian) -> Path:
    """Save ``ds`` with the transfer syntax (native ones only) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.file_meta.TransferSyntaxUID = syntax
    if syntax == ExplicitVRBigEndian and "PixelData" in ds:
        values = np.frombuffer(
            ds.PixelData, dtype=f"<{_kind(ds)}{ds.BitsAllocated // 8}"
        )
        ds.PixelData = values.astype(values.dtype.newbyteorder(">")).tobytes()
    ds.save_as(
        path,
        implicit_vr=syntax == ImplicitVRLittleEndian,
        little_endian=syntax != ExplicitVRBigEndian,
        enforce_file_format=True,
    )
    return path


def _kind(ds: Dataset) -> str:
    return "i" if ds.PixelRepresentation == 1 else "u"


def stack(
    folder: Path,
    count: int,
    *,
    step: Sequence[float] = (0.0, 0.0, 2.0),
    origin: Sequence[float] = (-10.0, -20.0, 50.0),
    size: tuple[int, int] = (6, 8),
    names: Sequence[int] | None = None,
    instances: Sequence[int] | None = None,
    **kwargs: Any,
) -> list[Path]:
    """``count`` slices at ``origin + n * step``; slice n filled with ``100 * n``.

    Every slice also holds its own column index in row 0 so that row/column
    order can be checked. ``names`` and ``instances`` shuffle the file names and
    Instance Numbers.
    """
    paths = []
    for n in range(count):
        pixels = np.full(size, 100 * n, dtype=np.int16)
        pixels[0, :] = np.arange(size[1], dtype=np.int16)
        position = [o + n * s for o, s in zip(origin, step, strict=True)]
        instance = instances[n] if instances is not None else n + 1
        ds = image(
            pixels, position=position, instance=instance, intercept=0.0, **kwargs
        )
        name = names[n] if names is not None else n
        paths.append(write(ds, folder / f"IM{name:04d}"))
    return paths


def enhanced_ct(
    positions: Sequence[Sequence[float]],
    values: Sequence[int],
    slopes: Sequence[float],
    frame_types: Sequence[str] | None = None,
    *,
    size: tuple[int, int] = (4, 5),
    spacing: Sequence[float] = (0.7, 0.9),
) -> Dataset:
    """An Enhanced CT object: one frame per position, per-frame rescale and type."""
    ds = base_dataset(EnhancedCTImageStorage)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL", "NONE"]
    ds.InstanceNumber = 1
    ds.NumberOfFrames = len(positions)
    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = [f"{v:g}" for v in spacing]
    measures.SliceThickness = "1"
    orientation = Dataset()
    orientation.ImageOrientationPatient = list(AXIAL)
    shared.PixelMeasuresSequence = DicomSequence([measures])
    shared.PlaneOrientationSequence = DicomSequence([orientation])
    ds.SharedFunctionalGroupsSequence = DicomSequence([shared])
    frames = []
    data = []
    for index, (position, value, slope) in enumerate(
        zip(positions, values, slopes, strict=True)
    ):
        group = Dataset()
        plane = Dataset()
        plane.ImagePositionPatient = [f"{v:g}" for v in position]
        group.PlanePositionSequence = DicomSequence([plane])
        rescale = Dataset()
        rescale.RescaleSlope = f"{slope:g}"
        rescale.RescaleIntercept = "-1000"
        rescale.RescaleType = "HU"
        group.PixelValueTransformationSequence = DicomSequence([rescale])
        frame_type = Dataset()
        kind = frame_types[index] if frame_types else "ORIGINAL\\PRIMARY\\AXIAL\\NONE"
        frame_type.FrameType = kind.split("\\")
        group.CTImageFrameTypeSequence = DicomSequence([frame_type])
        content = Dataset()
        content.InStackPositionNumber = index + 1
        group.FrameContentSequence = DicomSequence([content])
        frames.append(group)
        data.append(np.full(size, value, dtype=np.uint16))
    ds.PerFrameFunctionalGroupsSequence = DicomSequence(frames)
    _set_pixels(ds, np.stack(data), 12, "MONOCHROME2")
    return ds


def dicomdir(path: Path, file_ids: Sequence[Sequence[str]]) -> Path:
    """A minimal DICOMDIR whose IMAGE records name ``file_ids`` (PS3.3 F.5)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.1.3.10"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.FileSetID = "TEST"
    records = []
    for file_id in file_ids:
        record = Dataset()
        record.DirectoryRecordType = "IMAGE"
        record.ReferencedFileID = list(file_id)
        records.append(record)
    ds.DirectoryRecordSequence = DicomSequence(records)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, implicit_vr=False, little_endian=True, enforce_file_format=True)
    return path
