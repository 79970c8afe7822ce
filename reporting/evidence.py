"""Source headers as the evidence that written DICOM objects copy from.

The SR, key object selection and secondary capture documents take the patient and
study attributes of the images they describe (PS3.3 C.7.1.1, C.7.2.1). Some of
those are type 2 and may be missing from a source header; real headers also hold
single-component person names. :func:`evidence_header` gives a copy without pixel
data that has every such attribute, and names in unambiguous PN form.
"""

from __future__ import annotations

import logging
from copy import deepcopy

from pydicom.dataset import Dataset

logger = logging.getLogger(__name__)

_TYPE_2 = (
    "PatientID",
    "PatientName",
    "PatientBirthDate",
    "PatientSex",
    "AccessionNumber",
    "StudyID",
    "StudyDate",
    "StudyTime",
    "ReferringPhysicianName",
)


def evidence_header(header: Dataset) -> Dataset:
    """A copy of a header without pixel data, with the patient and study attributes
    the written objects copy (empty where the source has none)."""
    copy = Dataset()
    for element in header:
        if element.tag.group != 0x7FE0:
            copy.add(deepcopy(element))
    if hasattr(header, "file_meta"):
        copy.file_meta = deepcopy(header.file_meta)
    for keyword in _TYPE_2:
        if keyword not in copy:
            setattr(copy, keyword, "")
    for keyword in ("PatientName", "ReferringPhysicianName"):
        copy[keyword].value = one_component_name(str(copy[keyword].value or ""))
    return copy


def one_component_name(name: str) -> str:
    """A PN as given; a single component gets the trailing caret that marks it as
    the family name (PS3.5 6.2.1.2), which changes nothing of its meaning."""
    return name if not name or "^" in name or "=" in name else f"{name}^"
