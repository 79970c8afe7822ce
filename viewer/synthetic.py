"""Writing synthetic single-frame CT Image Storage series with known geometry.

Tests across the project and the demo case build their DICOM inputs here: voxels in
Hounsfield units shaped ``(k, j, i)`` (slice, row, column), one Image Position
(Patient) per slice, one Image Orientation (Patient) and Pixel Spacing, and the
patient, study and series attributes. Each slice becomes one file of the CT Image
IOD (PS3.3 A.3) in Explicit VR Little Endian with a valid file meta header
(PS3.10 7.1), so stacks that are tilted, oblique or non-uniformly spaced carry
exactly the geometry the caller gave. Objects are checked before anything is
written; nothing here guesses a value the caller did not give.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    CTImageStorage,
    ExplicitVRLittleEndian,
    generate_uid,
)
from pydicom.valuerep import format_number_as_ds

from viewer.volume import WindowPreset

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

#: Window presets written by default (VOI LUT module, PS3.3 C.11.2), in HU.
CT_WINDOW_PRESETS: tuple[WindowPreset, ...] = (
    WindowPreset("SOFT TISSUE", 40.0, 400.0),
    WindowPreset("LUNG", -600.0, 1500.0),
    WindowPreset("BONE", 400.0, 1800.0),
    WindowPreset("LIVER", 60.0, 160.0),
)

# Cosines must be unit length and orthogonal within this (PS3.3 C.7.6.2.1.1).
_COSINE_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Patient:
    """Patient module attributes (PS3.3 C.7.1.1)."""

    patient_name: str = "SYNTHETIC^PHANTOM"
    patient_id: str = "SYNTH-0001"
    patient_birth_date: dt.date | None = dt.date(1965, 3, 2)
    patient_sex: str = "O"


@dataclass(frozen=True)
class Study:
    """General Study module attributes (PS3.3 C.7.2.1)."""

    study_instance_uid: str = field(default_factory=generate_uid)
    study_datetime: dt.datetime = dt.datetime(2026, 1, 12, 9, 30, 0)
    study_description: str = "CT CHEST ABDOMEN"
    accession_number: str = "ACC0001"
    study_id: str = "1"
    referring_physician_name: str = ""


@dataclass(frozen=True)
class CTSeries:
    """Series, frame of reference, equipment, acquisition and pixel encoding.

    ``signed`` selects Pixel Representation 1 (two's complement) over 0; the stored
    value is ``round((HU - rescale_intercept) / rescale_slope)`` and is clipped to
    what ``bits_stored`` can hold, as scanners clip air at their lowest value
    (PS3.3 C.11.1.1.2 for the modality LUT, C.7.6.3.1 for the pixel encoding).
    ``acquisition_offset`` is the time from the study start to this series.
    ``extra_attributes`` are set by keyword on every slice after all others, for
    tests that need an attribute this writer does not otherwise fill.
    """

    series_instance_uid: str = field(default_factory=generate_uid)
    frame_of_reference_uid: str = field(default_factory=generate_uid)
    series_number: int = 1
    series_description: str = "AXIAL 1.5 STANDARD"
    acquisition_offset: dt.timedelta = dt.timedelta(minutes=2)
    patient_position: str = "HFS"
    body_part_examined: str = "CHEST"
    slice_thickness_mm: float = 1.5
    kvp: float = 120.0
    xray_tube_current_ma: int = 220
    exposure_time_ms: int = 500
    convolution_kernel: str = "STANDARD"
    contrast_bolus_agent: str | None = None
    manufacturer: str = "Nadir Synthetic"
    manufacturer_model_name: str = "Phantom Writer"
    institution_name: str = "Nadir Demo Hospital"
    signed: bool = True
    bits_stored: int = 16
    rescale_intercept: float = 0.0
    rescale_slope: float = 1.0
    window_presets: tuple[WindowPreset, ...] = CT_WINDOW_PRESETS
    extra_attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StackGeometry:
    """Where each slice lies in the patient (Image Plane module, PS3.3 C.7.6.2).

    ``pixel_spacing_mm`` is in DICOM order: (distance between rows, between
    columns). ``slice_positions_lps_mm`` holds Image Position (Patient) of each
    slice in the order the slices are given, shape ``(slices, 3)``.
    """

    rows: int
    columns: int
    slice_positions_lps_mm: FloatArray
    row_cosine: tuple[float, float, float] = (1.0, 0.0, 0.0)
    column_cosine: tuple[float, float, float] = (0.0, 1.0, 0.0)
    pixel_spacing_mm: tuple[float, float] = (1.0, 1.0)

    def __post_init__(self) -> None:
        positions = np.asarray(self.slice_positions_lps_mm, dtype=np.float64)
        if positions.ndim != 2 or positions.shape[1] != 3 or len(positions) == 0:
            raise ValueError(
                "slice_positions_lps_mm must be shaped (slices, 3), "
                f"got {positions.shape}"
            )
        object.__setattr__(self, "slice_positions_lps_mm", positions)
        row = np.asarray(self.row_cosine, dtype=np.float64)
        col = np.asarray(self.column_cosine, dtype=np.float64)
        for name, vector in (("row_cosine", row), ("column_cosine", col)):
            if abs(float(np.linalg.norm(vector)) - 1.0) > _COSINE_TOLERANCE:
                raise ValueError(
                    f"Image Orientation (Patient) {name} {vector.tolist()} "
                    "must have unit length"
                )
        if abs(float(row @ col)) > _COSINE_TOLERANCE:
            raise ValueError(
                "Image Orientation (Patient) row and column cosines must be "
                f"orthogonal, their dot product is {float(row @ col):.6f}"
            )
        if min(self.pixel_spacing_mm) <= 0 or self.rows < 1 or self.columns < 1:
            raise ValueError(
                f"Pixel Spacing {self.pixel_spacing_mm} must be positive and the "
                f"image ({self.rows} x {self.columns}) not empty"
            )

    @property
    def slices(self) -> int:
        """Number of slices."""
        return len(self.slice_positions_lps_mm)

    @cached_property
    def normal(self) -> FloatArray:
        """Row cosine x column cosine."""
        return np.asarray(
            np.cross(self.row_cosine, self.column_cosine), dtype=np.float64
        )

    @classmethod
    def regular(
        cls,
        rows: int,
        columns: int,
        slices: int,
        first_position_lps_mm: Sequence[float],
        slice_step_lps_mm: Sequence[float],
        pixel_spacing_mm: tuple[float, float],
        row_cosine: tuple[float, float, float] = (1.0, 0.0, 0.0),
        column_cosine: tuple[float, float, float] = (0.0, 1.0, 0.0),
    ) -> StackGeometry:
        """Slices a constant vector apart; a step off the normal makes a tilt."""
        start = np.asarray(first_position_lps_mm, dtype=np.float64)
        step = np.asarray(slice_step_lps_mm, dtype=np.float64)
        positions = start + np.arange(slices, dtype=np.float64)[:, None] * step
        return cls(
            rows, columns, positions, row_cosine, column_cosine, pixel_spacing_mm
        )

    def pixel_centres_lps_mm(self, k: int) -> FloatArray:
        """Patient position of every pixel centre of slice k, shape (rows, cols, 3)."""
        row_spacing, column_spacing = self.pixel_spacing_mm
        i = np.arange(self.columns, dtype=np.float64)[None, :, None]
        j = np.arange(self.rows, dtype=np.float64)[:, None, None]
        row = np.asarray(self.row_cosine, dtype=np.float64)
        col = np.asarray(self.column_cosine, dtype=np.float64)
        return np.asarray(
            self.slice_positions_lps_mm[k]
            + i * column_spacing * row
            + j * row_spacing * col,
            dtype=np.float64,
        )


def write_ct_series(
    folder: Path,
    slices_hu: Iterable[npt.NDArray[Any]],
    geometry: StackGeometry,
    patient: Patient | None = None,
    study: Study | None = None,
    series: CTSeries | None = None,
    *,
    sop_instance_uids: Sequence[str] | None = None,
) -> list[Path]:
    """Write one CT Image Storage file per slice into ``folder``.

    Parameters
    ----------
    folder
        Created if missing; files are named ``IM00001.dcm`` and so on by
        Instance Number, overwriting files of the same name.
    slices_hu
        A ``(k, j, i)`` array or any iterable of ``(rows, columns)`` slices in HU,
        so that a long series can be produced one slice at a time.
    geometry
        Image Position (Patient) per slice, orientation and pixel spacing.
    sop_instance_uids
        One per slice; generated when not given.

    Returns
    -------
    list of Path
        The files written, in slice order.
    """
    patient = patient or Patient()
    study = study or Study()
    series = series or CTSeries()
    _check_encoding(series)
    if sop_instance_uids is not None and len(sop_instance_uids) != geometry.slices:
        raise ValueError(
            f"{len(sop_instance_uids)} SOP Instance UIDs given for "
            f"{geometry.slices} slices"
        )
    folder.mkdir(parents=True, exist_ok=True)
    template = _series_template(patient, study, series, geometry)

    paths: list[Path] = []
    for k, pixels_hu in enumerate(slices_hu):
        if k >= geometry.slices:
            raise ValueError(
                f"more slices given than the {geometry.slices} slice positions"
            )
        uid = sop_instance_uids[k] if sop_instance_uids is not None else generate_uid()
        dataset = ct_slice_dataset(template, pixels_hu, k, geometry, series, uid)
        path = folder / f"IM{k + 1:05d}.dcm"
        dataset.save_as(path, enforce_file_format=True)
        paths.append(path)
    if len(paths) != geometry.slices:
        raise ValueError(
            f"{len(paths)} slices of voxels given for {geometry.slices} slice positions"
        )
    logger.debug("wrote %d CT slices into %s", len(paths), folder)
    return paths


def series_template(
    patient: Patient, study: Study, series: CTSeries, geometry: StackGeometry
) -> Dataset:
    """The attributes every slice of a series shares, without the file meta."""
    _check_encoding(series)
    return _series_template(patient, study, series, geometry)


def ct_slice_dataset(
    template: Dataset,
    pixels_hu: npt.NDArray[Any],
    k: int,
    geometry: StackGeometry,
    series: CTSeries,
    sop_instance_uid: str,
) -> FileDataset:
    """One slice of a series as a dataset with its file meta, ready to save."""
    pixels = np.asarray(pixels_hu)
    if pixels.shape != (geometry.rows, geometry.columns):
        raise ValueError(
            f"slice {k} is shaped {pixels.shape}, the geometry says "
            f"({geometry.rows}, {geometry.columns})"
        )
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "NADIR_SYNTH"

    dataset = FileDataset("", Dataset(), file_meta=meta, preamble=b"\0" * 128)
    dataset.update(template)
    dataset.SOPInstanceUID = sop_instance_uid
    dataset.InstanceNumber = k + 1
    position = geometry.slice_positions_lps_mm[k]
    dataset.ImagePositionPatient = [_ds(v) for v in position]
    dataset.SliceLocation = _ds(float(position @ geometry.normal))
    dataset.PixelData = _stored_values(pixels, series).tobytes()
    for keyword, value in series.extra_attributes.items():
        setattr(dataset, keyword, value)
    return dataset


def stored_value_range(series: CTSeries) -> tuple[int, int]:
    """Lowest and highest stored value the series' pixel encoding can hold."""
    if series.signed:
        half = 1 << (series.bits_stored - 1)
        return -half, half - 1
    return 0, (1 << series.bits_stored) - 1


def _check_encoding(series: CTSeries) -> None:
    if not 12 <= series.bits_stored <= 16:
        raise ValueError(
            f"Bits Stored {series.bits_stored} is not allowed for CT Image "
            "(PS3.3 C.8.2.1.1.4: 12 to 16)"
        )
    if series.rescale_slope <= 0:
        raise ValueError(f"Rescale Slope {series.rescale_slope} must be positive")
    if len(series.patient_position) not in (3, 4):
        raise ValueError(
            f"Patient Position {series.patient_position!r} is not a defined term "
            "such as HFS or FFS (PS3.3 C.7.3.1.1.2)"
        )


def _series_template(
    patient: Patient, study: Study, series: CTSeries, geometry: StackGeometry
) -> Dataset:
    acquired = study.study_datetime + series.acquisition_offset
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = CTImageStorage
    ds.StudyDate = _da(study.study_datetime.date())
    ds.SeriesDate = _da(acquired.date())
    ds.AcquisitionDate = _da(acquired.date())
    ds.ContentDate = _da(acquired.date())
    ds.StudyTime = _tm(study.study_datetime)
    ds.SeriesTime = _tm(acquired)
    ds.AcquisitionTime = _tm(acquired)
    ds.ContentTime = _tm(acquired)
    ds.AccessionNumber = study.accession_number
    ds.Modality = "CT"
    ds.Manufacturer = series.manufacturer
    ds.InstitutionName = series.institution_name
    ds.ReferringPhysicianName = study.referring_physician_name
    ds.StudyDescription = study.study_description
    ds.SeriesDescription = series.series_description
    ds.ManufacturerModelName = series.manufacturer_model_name

    ds.PatientName = patient.patient_name
    ds.PatientID = patient.patient_id
    ds.PatientBirthDate = (
        _da(patient.patient_birth_date) if patient.patient_birth_date else ""
    )
    ds.PatientSex = patient.patient_sex
    if patient.patient_birth_date is not None:
        ds.PatientAge = _age(patient.patient_birth_date, study.study_datetime.date())

    if series.contrast_bolus_agent is not None:
        ds.ContrastBolusAgent = series.contrast_bolus_agent
    ds.BodyPartExamined = series.body_part_examined
    ds.SliceThickness = _ds(series.slice_thickness_mm)
    ds.KVP = _ds(series.kvp)
    row_spacing, column_spacing = geometry.pixel_spacing_mm
    ds.ReconstructionDiameter = _ds(
        max(geometry.rows * row_spacing, geometry.columns * column_spacing)
    )
    ds.ExposureTime = series.exposure_time_ms
    ds.XRayTubeCurrent = series.xray_tube_current_ma
    ds.ConvolutionKernel = series.convolution_kernel
    ds.PatientPosition = series.patient_position

    ds.StudyInstanceUID = study.study_instance_uid
    ds.SeriesInstanceUID = series.series_instance_uid
    ds.StudyID = study.study_id
    ds.SeriesNumber = series.series_number
    ds.AcquisitionNumber = 1
    ds.ImageOrientationPatient = [
        _ds(v) for v in (*geometry.row_cosine, *geometry.column_cosine)
    ]
    ds.FrameOfReferenceUID = series.frame_of_reference_uid
    ds.PositionReferenceIndicator = ""

    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = geometry.rows
    ds.Columns = geometry.columns
    ds.PixelSpacing = [_ds(row_spacing), _ds(column_spacing)]
    ds.BitsAllocated = 16
    ds.BitsStored = series.bits_stored
    ds.HighBit = series.bits_stored - 1
    ds.PixelRepresentation = 1 if series.signed else 0
    ds.BurnedInAnnotation = "NO"
    if series.window_presets:
        ds.WindowCenter = [_ds(p.center) for p in series.window_presets]
        ds.WindowWidth = [_ds(p.width) for p in series.window_presets]
        ds.WindowCenterWidthExplanation = [p.name for p in series.window_presets]
    ds.RescaleIntercept = _ds(series.rescale_intercept)
    ds.RescaleSlope = _ds(series.rescale_slope)
    ds.RescaleType = "HU"
    ds.LossyImageCompression = "00"
    return ds


def _stored_values(pixels_hu: npt.NDArray[Any], series: CTSeries) -> npt.NDArray[Any]:
    low, high = stored_value_range(series)
    stored = np.rint(
        (np.asarray(pixels_hu, dtype=np.float32) - series.rescale_intercept)
        / series.rescale_slope
    )
    np.clip(stored, low, high, out=stored)
    dtype = np.dtype("<i2") if series.signed else np.dtype("<u2")
    return np.asarray(stored.astype(dtype))


def _ds(value: float) -> str:
    """A Decimal String of at most 16 characters (PS3.5 6.2)."""
    number = float(value)
    if number == round(number) and abs(number) < 1e15:
        return str(int(round(number)))
    return format_number_as_ds(number)


def _da(date: dt.date) -> str:
    return date.strftime("%Y%m%d")


def _tm(moment: dt.datetime) -> str:
    return moment.strftime("%H%M%S")


def _age(birth: dt.date, on: dt.date) -> str:
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return f"{max(years, 0):03d}Y"
