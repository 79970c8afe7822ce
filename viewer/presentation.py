"""What a header says about measuring and showing a series' pixels.

Pixel spacing and whether it is a patient size (:func:`calibration`: Pixel
Spacing, PS3.3 10.7.1.3; Imager Pixel Spacing and Estimated Radiographic
Magnification Factor, C.8.11.4; Sequence of Ultrasound Regions, C.8.5.5), window
presets and VOI LUTs in the file (:func:`window_presets`, :func:`voi_luts`,
C.11.2), and the descriptive fields a browser and overlays show
(:func:`series_info`). Spacing is never guessed: without one the unit is pixels.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from viewer.headers import as_list, float_or_none, floats, int_or_none, text
from viewer.volume import Calibration, SeriesInfo, VoiLut, WindowPreset

logger = logging.getLogger(__name__)

# Physical Units X/Y Direction (0018,6024/6026) code for centimetres (C.8.5.5.1.15).
_US_UNIT_CM = 3


def calibration(
    ds: Dataset, frame_spacing_mm: tuple[float, float] | None
) -> tuple[tuple[float, float], Calibration]:
    """Pixel spacing ``(row, column)`` and whether it is true patient size.

    Parameters
    ----------
    ds
        The header of the series' first image.
    frame_spacing_mm
        Pixel Spacing of the frame (top level or Pixel Measures functional group).
    """
    imager = floats(ds.get("ImagerPixelSpacing"), 2)
    if frame_spacing_mm is not None and all(v > 0 for v in frame_spacing_mm):
        if imager is not None and _close(imager, frame_spacing_mm):
            return frame_spacing_mm, Calibration(
                "mm",
                False,
                "Pixel Spacing equals Imager Pixel Spacing: sizes at the detector, "
                "not corrected for magnification",
            )
        return frame_spacing_mm, Calibration()
    if imager is not None and all(v > 0 for v in imager):
        factor = float_or_none(ds.get("EstimatedRadiographicMagnificationFactor"))
        if factor and factor > 0:
            corrected = (imager[0] / factor, imager[1] / factor)
            return corrected, Calibration(
                "mm",
                False,
                f"Imager Pixel Spacing corrected by the Estimated Radiographic "
                f"Magnification Factor {factor:g}: an estimate at the isocentre",
            )
        return imager, Calibration(
            "mm",
            False,
            "Imager Pixel Spacing only: sizes at the detector, not in the patient",
        )
    region = _ultrasound_region(ds)
    if region is not None:
        return region, Calibration(
            "mm", True, "from the ultrasound region calibration (0018,6011)"
        )
    return (1.0, 1.0), Calibration(
        "px", False, "no Pixel Spacing (0028,0030): lengths are in pixels"
    )


def _close(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < 1e-6 and abs(a[1] - b[1]) < 1e-6


def _ultrasound_region(ds: Dataset) -> tuple[float, float] | None:
    for region in ds.get("SequenceOfUltrasoundRegions", []):
        units = (
            int_or_none(region.get("PhysicalUnitsXDirection")),
            int_or_none(region.get("PhysicalUnitsYDirection")),
        )
        dx = float_or_none(region.get("PhysicalDeltaX"))
        dy = float_or_none(region.get("PhysicalDeltaY"))
        if units == (_US_UNIT_CM, _US_UNIT_CM) and dx and dy:
            return abs(dy) * 10.0, abs(dx) * 10.0
    return None


def window_presets(ds: Dataset, frame_groups: list[Dataset]) -> list[WindowPreset]:
    """Window centre/width pairs of the file (C.11.2.1.2), in modality units.

    For enhanced images the Frame VOI LUT functional group of the frame whose
    groups are given comes first, then the top-level attributes. Each preset is
    named by its Window Center & Width Explanation (0028,1055), else "File"
    ("File 2", "File 3" for further unnamed ones).
    """
    sources = []
    for group in frame_groups:
        for item in group.get("FrameVOILUTSequence", []):
            sources.append(item)
    sources.append(ds)
    presets: list[WindowPreset] = []
    unnamed = 0
    for source in sources:
        centers = as_list(source.get("WindowCenter"))
        widths = as_list(source.get("WindowWidth"))
        names = as_list(source.get("WindowCenterWidthExplanation"))
        for index, (center, width) in enumerate(zip(centers, widths, strict=False)):
            c, w = float_or_none(center), float_or_none(width)
            if c is None or w is None or w <= 0:
                continue
            if any((p.center, p.width) == (c, w) for p in presets):
                continue
            name = str(names[index]).strip() if index < len(names) else ""
            if not name:
                unnamed += 1
                name = "File" if unnamed == 1 else f"File {unnamed}"
            presets.append(WindowPreset(name, c, w))
    return presets


def voi_luts(ds: Dataset) -> list[VoiLut]:
    """VOI LUT Sequence (0028,3010) tables of the file."""
    luts = []
    for number, item in enumerate(ds.get("VOILUTSequence", []), start=1):
        descriptor = as_list(item.get("LUTDescriptor"))
        if len(descriptor) != 3 or "LUTData" not in item:
            logger.warning("VOI LUT item %d without descriptor or data ignored", number)
            continue
        entries, first, bits = (int(v) for v in descriptor)
        entries = entries or 65536
        # The first value mapped is US or SS by the pixel representation (C.11.2.1.1).
        if int(ds.get("PixelRepresentation", 0)) == 1 and first >= 32768:
            first -= 65536
        table = _lut_table(item.LUTData, entries)
        name = text(item, "LUTExplanation") or f"VOI LUT {number}"
        luts.append(VoiLut(name, first, table, bits))
    return luts


def _lut_table(data: Any, entries: int) -> np.ndarray:
    if isinstance(data, bytes):
        table = np.frombuffer(data, dtype="<u2")
    else:
        table = np.asarray(as_list(data), dtype=np.uint16)
    return np.asarray(table[:entries], dtype=np.uint16)


def lut_window(lut: VoiLut, slope: float, intercept: float) -> WindowPreset:
    """The window spanning a VOI LUT's input range, for displays without LUTs."""
    low = lut.first_mapped * slope + intercept
    high = (lut.first_mapped + len(lut.table) - 1) * slope + intercept
    return WindowPreset(lut.name, (low + high) / 2.0, max(high - low, 1.0))


def series_info(ds: Dataset, thickness_mm: float | None) -> SeriesInfo:
    """The descriptive fields of :class:`SeriesInfo` from a header."""
    return SeriesInfo(
        patient_name=text(ds, "PatientName"),
        patient_id=text(ds, "PatientID"),
        patient_birth_date=text(ds, "PatientBirthDate"),
        patient_sex=text(ds, "PatientSex"),
        study_instance_uid=text(ds, "StudyInstanceUID"),
        study_date=text(ds, "StudyDate"),
        study_time=text(ds, "StudyTime"),
        study_description=text(ds, "StudyDescription"),
        accession_number=text(ds, "AccessionNumber"),
        series_instance_uid=text(ds, "SeriesInstanceUID"),
        series_number=int_or_none(ds.get("SeriesNumber")),
        series_description=text(ds, "SeriesDescription"),
        modality=text(ds, "Modality"),
        body_part_examined=text(ds, "BodyPartExamined"),
        slice_thickness_mm=thickness_mm,
        contrast_agent=text(ds, "ContrastBolusAgent"),
        manufacturer=text(ds, "Manufacturer"),
    )
