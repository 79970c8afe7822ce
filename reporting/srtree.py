"""Walking an SR content tree: coded concept names, values and the image library.

Helpers shared by the report reader: the (value, scheme, meaning) of a content
item's concept, a walk over every item, NUM and IMAGE values, and the image library
(PS3.16 TID 1600) turned into pseudo headers that carry each image's study, series,
date and plane, so end points can be placed without the images themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from pydicom.dataset import Dataset

logger = logging.getLogger(__name__)


def concept(
    item: Dataset, keyword: str = "ConceptNameCodeSequence"
) -> tuple[str, str, str]:
    seq = item.get(keyword)
    if not seq:
        return ("", "", "")
    code = seq[0]
    return (
        str(code.get("CodeValue", code.get("LongCodeValue", ""))),
        str(code.get("CodingSchemeDesignator", "")),
        str(code.get("CodeMeaning", "")),
    )


def walk(items: Any) -> Iterator[Dataset]:
    for item in items or []:
        yield item
        yield from walk(item.get("ContentSequence"))


def num_value(item: Dataset) -> float | None:
    mv = item.get("MeasuredValueSequence")
    if not mv:
        return None
    return float(mv[0].NumericValue)


def image_uid(item: Dataset) -> str:
    return str(item.ReferencedSOPSequence[0].ReferencedSOPInstanceUID)


def image_library(ds: Dataset) -> dict[str, Dataset]:
    """Pseudo-headers (study, date, geometry) of the images the report lists."""
    studies: dict[str, tuple[str, str]] = {}
    for keyword in (
        "CurrentRequestedProcedureEvidenceSequence",
        "PertinentOtherEvidenceSequence",
    ):
        for study in ds.get(keyword) or []:
            for series in study.get("ReferencedSeriesSequence") or []:
                for ref in series.get("ReferencedSOPSequence") or []:
                    studies[str(ref.ReferencedSOPInstanceUID)] = (
                        str(study.StudyInstanceUID),
                        str(series.SeriesInstanceUID),
                    )
    out: dict[str, Dataset] = {}
    for item in walk(ds.ContentSequence):
        if item.get("ValueType") != "CONTAINER" or concept(item)[:2] not in (
            ("126200", "DCM"),
            ("111028", "DCM"),
        ):
            continue
        shared = _descriptors(item)
        for child in item.get("ContentSequence") or []:
            if child.get("ValueType") == "IMAGE":
                uid = image_uid(child)
                header = _pseudo_header({**shared, **_descriptors(child)})
                study_uid, series_uid = studies.get(uid, ("", ""))
                header.StudyInstanceUID = study_uid
                header.SeriesInstanceUID = series_uid
                out[uid] = header
    return out


def _descriptors(item: Dataset) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for child in item.get("ContentSequence") or []:
        if child.get("RelationshipType") != "HAS ACQ CONTEXT":
            continue
        meaning = concept(child)[2].lower()
        vt = child.get("ValueType")
        if vt == "NUM":
            found[meaning] = num_value(child)
        elif vt == "DATE":
            found[meaning] = str(child.Date)
        elif vt == "UIDREF":
            found[meaning] = str(child.UID)
    return found


def _pseudo_header(d: Mapping[str, Any]) -> Dataset:
    header = Dataset()
    header.StudyDate = d.get("study date", "")
    ipp = [d.get(f"image position (patient) {a}") for a in "xyz"]
    iop = [
        d.get(f"image orientation (patient) {r} {a}")
        for r in ("row", "column")
        for a in "xyz"
    ]
    spacing = [d.get("vertical pixel spacing"), d.get("horizontal pixel spacing")]
    if all(v is not None for v in ipp + iop + spacing):
        header.ImagePositionPatient = ipp
        header.ImageOrientationPatient = iop
        header.PixelSpacing = spacing
    if d.get("frame of reference uid"):
        header.FrameOfReferenceUID = d["frame of reference uid"]
    return header
