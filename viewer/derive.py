"""Make a synthetic "prior" study from a real series by a known rigid transform.

Registration can only be trusted on real anatomy when the answer is known. This
module resamples a source series through a chosen rotation and translation and
writes the result as a new study of the same patient: new Study, Series and SOP
Instance UIDs, its own Frame of Reference UID (PS3.3 C.7.4.1), and study dates
some months earlier, with the other headers copied from the source slices. It
returns the exact 4x4 transform from the derived study's patient coordinates to
the source's (LPS, mm), which is what a registration of the source (fixed)
against the derived study (moving) must recover.

The slices are written as Explicit VR Little Endian with the source's pixel
representation, rescale and pixel spacing, on the source's own grid (for a tilted
or non-uniform source: the uniform grid of :func:`viewer.registration.volume_to_image`).
Nothing is ever written into the source folder.
"""

from __future__ import annotations

import calendar
import copy
import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from viewer.loader import load_series
from viewer.registration import simpleitk, volume_to_image
from viewer.volume import Volume

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

# Study date used when the source has none, so the derived date is still earlier.
_DEFAULT_SOURCE_DATE = datetime.date(2000, 1, 1)

# Attributes that describe the source pixels or point at other objects, and so
# would be false in the derived study.
_DROPPED_KEYWORDS = (
    "LargestImagePixelValue",
    "SmallestImagePixelValue",
    "LargestPixelValueInSeries",
    "SmallestPixelValueInSeries",
    "ReferencedImageSequence",
    "SourceImageSequence",
    "ReferencedStudySequence",
    "ReferencedPerformedProcedureStepSequence",
    "ReferencedSeriesSequence",
    "RelatedSeriesSequence",
    "IconImageSequence",
    "ExtendedOffsetTable",
    "ExtendedOffsetTableLengths",
    "DataSetTrailingPadding",
)


@dataclass(frozen=True)
class DerivedStudy:
    """What :func:`derive_prior` wrote.

    ``truth_derived_to_source`` is the 4x4 from the derived study's LPS mm to the
    source's LPS mm; ``volume`` is the derived study as written.
    """

    source_volume: Volume
    truth_derived_to_source: FloatArray
    files: tuple[Path, ...]
    study_instance_uid: str
    series_instance_uid: str
    frame_of_reference_uid: str
    study_date: str
    volume: Volume


def derive_prior(
    source_folder: Path,
    output_folder: Path,
    angles_deg: Sequence[float] = (0.0, 0.0, 4.0),
    translation_mm: Sequence[float] = (25.0, -15.0, 30.0),
    months_earlier: int = 6,
) -> DerivedStudy:
    """Write ``source`` moved by a known rigid transform as a new, earlier study.

    Parameters
    ----------
    source_folder
        A folder (or zip, or DICOMDIR) holding the one image stack to move, of
        single-frame slices.
    output_folder
        An empty or new folder outside the source folder.
    angles_deg
        Rotations about the patient x, y and z axes (applied in that order)
        around the centre of the source volume.
    translation_mm
        Translation added after the rotation.
    months_earlier
        How much earlier the derived study is dated.

    Returns
    -------
    DerivedStudy
        The files written and ``truth_derived_to_source``: for a point ``p`` of the
        derived study, ``truth @ p`` is the same anatomy in the source.
    """
    output_folder = Path(output_folder)
    _check_output(Path(source_folder), output_folder)
    volume = load_series(source_folder)
    headers = _headers(Path(source_folder), volume)
    nk, nj, ni = volume.shape
    centre = volume.to_patient([(ni - 1) / 2, (nj - 1) / 2, (nk - 1) / 2])
    truth = rigid_matrix(angles_deg, translation_mm, centre)

    voxels, origin, spacing = _moved(volume, truth)
    positions = origin + np.outer(
        np.arange(voxels.shape[0]) * spacing[2], volume.normal
    )
    uids = _NewUids.make(voxels.shape[0])
    source_date = _parse_date(str(headers[0].get("StudyDate", "")))
    study_date = _months_before(source_date, months_earlier).strftime("%Y%m%d")
    description = (
        f"rigid {tuple(float(a) for a in angles_deg)} deg, "
        f"{tuple(float(t) for t in translation_mm)} mm"
    )

    output_folder.mkdir(parents=True, exist_ok=True)
    files = []
    for k in range(voxels.shape[0]):
        template = headers[volume.nearest_slice(positions[k])]
        ds = _derived_slice(template, voxels[k], positions[k], k, uids, study_date)
        ds.DerivationDescription = f"Resampled from the source series by {description}"
        ds.SeriesDescription = f"Derived prior ({description})"[:64]
        path = output_folder / f"IM{k + 1:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        files.append(path)
    logger.info("wrote a derived prior of %d slices to %s", len(files), output_folder)

    derived_volume = Volume(
        voxels,
        positions,
        volume.row_cosine,
        volume.column_cosine,
        (spacing[1], spacing[0]),
        frame_of_reference_uid=uids.frame_of_reference,
        sop_instance_uids=uids.sop_instances,
    )
    return DerivedStudy(
        volume,
        truth,
        tuple(files),
        uids.study,
        uids.series,
        uids.frame_of_reference,
        study_date,
        derived_volume,
    )


def rigid_matrix(
    angles_deg: Sequence[float],
    translation_mm: Sequence[float],
    centre_mm: npt.ArrayLike = (0.0, 0.0, 0.0),
) -> FloatArray:
    """4x4: rotate about x, then y, then z around ``centre_mm``, then translate."""
    rotation = np.eye(3)
    for axis, angle in enumerate(np.radians(np.asarray(angles_deg, dtype=float))):
        turn = np.eye(3)
        a, b = [n for n in range(3) if n != axis]
        turn[a, a] = turn[b, b] = np.cos(angle)
        turn[a, b], turn[b, a] = -np.sin(angle), np.sin(angle)
        if axis == 1:
            turn = turn.T
        rotation = turn @ rotation
    centre = np.asarray(centre_mm, dtype=np.float64)
    matrix = np.eye(4)
    matrix[:3, :3] = rotation
    matrix[:3, 3] = centre - rotation @ centre + np.asarray(translation_mm, dtype=float)
    return matrix


# ----------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _NewUids:
    study: str
    series: str
    frame_of_reference: str
    sop_instances: tuple[str, ...]

    @classmethod
    def make(cls, count: int) -> _NewUids:
        return cls(
            generate_uid(),
            generate_uid(),
            generate_uid(),
            tuple(generate_uid() for _ in range(count)),
        )


def _moved(
    volume: Volume, truth: FloatArray
) -> tuple[npt.NDArray[Any], FloatArray, tuple[float, float, float]]:
    """Voxels showing, at each point p, the source at ``truth @ p``.

    Returns the voxels on the volume's own (or uniform) grid, its origin and its
    spacing along i, j, k.
    """
    sitk = simpleitk()

    image = sitk.Cast(volume_to_image(volume), sitk.sitkFloat32)
    transform = sitk.AffineTransform(3)
    transform.SetMatrix(tuple(float(v) for v in truth[:3, :3].ravel()))
    transform.SetTranslation(tuple(float(v) for v in truth[:3, 3]))
    fill = float(np.min(volume.voxels))
    moved = sitk.Resample(image, image, transform, sitk.sitkLinear, fill)
    voxels = np.round(sitk.GetArrayFromImage(moved))
    if np.issubdtype(volume.voxels.dtype, np.integer):
        voxels = voxels.astype(volume.voxels.dtype)
    spacing = tuple(float(v) for v in image.GetSpacing())
    origin = np.asarray(image.GetOrigin(), dtype=np.float64)
    return voxels, origin, (spacing[0], spacing[1], spacing[2])


def _headers(folder: Path, volume: Volume) -> list[Dataset]:
    """The header of each slice of ``volume``, read from the files in ``folder``."""
    wanted = set(volume.sop_instance_uids)
    found: dict[str, Dataset] = {}
    files = [folder] if folder.is_file() else sorted(folder.rglob("*"))
    for path in files:
        if not path.is_file() or path.name.upper() == "DICOMDIR":
            continue
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except (InvalidDicomError, OSError) as error:
            logger.debug("skipping %s: %s", path, error)
            continue
        uid = str(ds.get("SOPInstanceUID", ""))
        if uid in wanted:
            found[uid] = ds
    if len(volume.sop_instance_uids) != len(wanted) or len(found) != len(wanted):
        raise ValueError(
            f"{folder}: a derived prior is made from a stack of single-frame files "
            f"found as files in a folder; {len(found)} of "
            f"{len(volume.sop_instance_uids)} slices were found by their "
            "SOPInstanceUID (0008,0018)"
        )
    return [found[uid] for uid in volume.sop_instance_uids]


def _check_output(source_folder: Path, output_folder: Path) -> None:
    source = source_folder.resolve()
    output = output_folder.resolve()
    if output == source or source in output.parents:
        raise ValueError(
            f"the output folder {output_folder} lies inside the source folder "
            f"{source_folder}; choose a folder elsewhere (sources are never written)"
        )
    if output.is_dir() and any(output.iterdir()):
        raise ValueError(
            f"the output folder {output_folder} is not empty; choose a new folder"
        )


def _parse_date(value: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(value.strip(), "%Y%m%d").date()
    except ValueError:
        logger.warning(
            "StudyDate (0008,0020) %r is not a date; dating from %s",
            value,
            _DEFAULT_SOURCE_DATE,
        )
        return _DEFAULT_SOURCE_DATE


def _months_before(date: datetime.date, months: int) -> datetime.date:
    index = date.year * 12 + (date.month - 1) - months
    year, month = divmod(index, 12)
    day = min(date.day, calendar.monthrange(year, month + 1)[1])
    return datetime.date(year, month + 1, day)


def _stored_values(ds: Dataset, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Modality values back to stored values in the source's pixel format."""
    slope = float(ds.get("RescaleSlope", 1.0) or 1.0)
    intercept = float(ds.get("RescaleIntercept", 0.0) or 0.0)
    stored = np.round((values.astype(np.float64) - intercept) / slope)
    bits = int(ds.BitsStored)
    if int(ds.PixelRepresentation) == 1:
        low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        return np.clip(stored, low, high).astype("<i2")
    return np.clip(stored, 0, 2**bits - 1).astype("<u2")


def _derived_slice(
    template: Dataset,
    values: npt.NDArray[Any],
    position: FloatArray,
    index: int,
    uids: _NewUids,
    study_date: str,
) -> Dataset:
    ds = Dataset()
    for element in template:
        if element.tag.group != 0x7FE0:
            ds.add(copy.deepcopy(element))
    for keyword in _DROPPED_KEYWORDS:
        if keyword in ds:
            delattr(ds, keyword)
    ds.remove_private_tags()

    ds.StudyInstanceUID = uids.study
    ds.SeriesInstanceUID = uids.series
    ds.FrameOfReferenceUID = uids.frame_of_reference
    ds.SOPInstanceUID = uids.sop_instances[index]
    for keyword in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate"):
        setattr(ds, keyword, study_date)
    if "AcquisitionDateTime" in ds:
        ds.AcquisitionDateTime = study_date + str(ds.AcquisitionDateTime)[8:]
    ds.StudyID = "PRIOR"
    ds.AccessionNumber = ""
    ds.StudyDescription = f"{template.get('StudyDescription', '')} derived prior"[
        :64
    ].strip()
    if "IrradiationEventUID" in ds:
        ds.IrradiationEventUID = generate_uid()
    image_type = list(template.get("ImageType", ["ORIGINAL", "PRIMARY", "AXIAL"]))
    ds.ImageType = ["DERIVED", "SECONDARY", *image_type[2:]]

    ds.InstanceNumber = index + 1
    ds.ImagePositionPatient = [round(float(v), 6) for v in position]
    ds.SliceLocation = round(float(position[2]), 6)
    stored = _stored_values(template, values)
    ds.Rows, ds.Columns = int(stored.shape[0]), int(stored.shape[1])
    ds.SamplesPerPixel = 1
    ds.BitsAllocated = 16
    ds.PixelData = stored.tobytes()

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    return ds
