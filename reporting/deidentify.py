"""De-identification of everything an export writes (PS3.15 E.2, Basic Profile).

One :class:`Deidentifier` serves a whole export, so that a UID or a date is replaced
by the same value in the SR, the key object selections, the secondary captures, the
report and the case file. UIDs are replaced by new 2.25 UIDs (standard UIDs such as
SOP classes stay); dates are shifted by one offset, keeping the intervals between
studies that RECIST needs (Retain Longitudinal Temporal Information with Modified
Dates Option, PS3.15 E.3.6); names, IDs and institutions are removed or replaced
with dummies; private attributes are removed. Writers work on the de-identified
copies of the case and the source headers, so the original values never reach them.
"""

from __future__ import annotations

import copy
import datetime
import logging
import re
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

logger = logging.getLogger(__name__)

DUMMY_NAME = "Anonymous^Patient"
DUMMY_READER = "Reader^Anonymous"
STANDARD_UID_ROOT = "1.2.840.10008."

# Attributes of the Basic Profile (PS3.15 Table E.1-1) that outputs can carry:
# emptied (Z) or removed (X). UIDs, dates and person names are handled by VR.
_EMPTY = (
    "PatientBirthDate",
    "PatientSex",
    "AccessionNumber",
    "StudyID",
    "ReferringPhysicianName",
)
_REMOVE = (
    "PatientAge",
    "PatientSize",
    "PatientWeight",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "OtherPatientIDs",
    "OtherPatientIDsSequence",
    "OtherPatientNames",
    "PatientBirthName",
    "PatientMotherBirthName",
    "MilitaryRank",
    "EthnicGroup",
    "Occupation",
    "AdditionalPatientHistory",
    "PatientComments",
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "StationName",
    "DeviceSerialNumber",
    "OperatorsName",
    "PerformingPhysicianName",
    "NameOfPhysiciansReadingStudy",
    "PhysiciansOfRecord",
    "RequestingPhysician",
    "VerifyingObserverName",
    "RequestAttributesSequence",
    "StudyDescription",
    "SeriesDescription",
    "ProtocolName",
    "ImageComments",
    "DerivationDescription",
    "IssuerOfPatientID",
    "PatientInsurancePlanCodeSequence",
    "PerformedProcedureStepID",
    "ScheduledProcedureStepID",
    "RequestedProcedureID",
)


class Deidentifier:
    """Consistent replacement of identity, UIDs and dates for one export.

    Parameters
    ----------
    day_shift
        Days added to every date; by default a random offset of one to ten years
        back, so the true dates cannot be recovered from the output.
    pseudonym
        The patient ID written in place of the real one.
    """

    def __init__(self, day_shift: int | None = None, pseudonym: str | None = None):
        self.day_shift = (
            day_shift if day_shift is not None else -(365 + secrets.randbelow(3285))
        )
        self.pseudonym = pseudonym or f"ANON-{secrets.token_hex(4).upper()}"
        self._uids: dict[str, str] = {}
        self.removed_texts: set[str] = set()

    def uid(self, value: str) -> str:
        """The replacement of a UID (the same every time); standard UIDs kept."""
        value = str(value).strip()
        if not value or value.startswith(STANDARD_UID_ROOT):
            return value
        if value not in self._uids:
            self._uids[value] = f"2.25.{uuid.uuid4().int}"
        return self._uids[value]

    def date(self, value: str) -> str:
        """A DICOM DA (YYYYMMDD) or ISO date shifted by the export's offset."""
        text = str(value).strip()
        iso = "-" in text
        digits = text.replace("-", "")
        if len(digits) != 8 or not digits.isdigit():
            return "" if text else text
        try:
            day = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            return ""
        shifted = day + datetime.timedelta(days=self.day_shift)
        return shifted.isoformat() if iso else shifted.strftime("%Y%m%d")

    def dataset(self, ds: Dataset) -> Dataset:
        """A de-identified copy of a dataset (header or written object)."""
        self._remember(ds)
        out = copy.deepcopy(ds)
        out.remove_private_tags()
        for keyword in _REMOVE:
            if keyword in out:
                delattr(out, keyword)
        for keyword in _EMPTY:
            if keyword in out:
                setattr(out, keyword, "")
        out.walk(self._element)
        if "PatientID" in out:
            out.PatientID = self.pseudonym
        if "PatientName" in out:
            out.PatientName = DUMMY_NAME
        meta = getattr(out, "file_meta", None)
        if meta is not None and "MediaStorageSOPInstanceUID" in meta:
            meta.MediaStorageSOPInstanceUID = self.uid(meta.MediaStorageSOPInstanceUID)
        self.mark(out)
        return out

    @staticmethod
    def mark(ds: Dataset) -> None:
        """Record on a dataset that its identity was removed (PS3.3 C.7.1.1)."""
        ds.PatientIdentityRemoved = "YES"
        ds.DeidentificationMethod = "PS3.15 Basic Profile with modified dates"
        ds.DeidentificationMethodCodeSequence = [
            _code("113100", "Basic Application Confidentiality Profile"),
            _code(
                "113107",
                "Retain Longitudinal Temporal Information Modified Dates Option",
            ),
        ]

    def case(self, case: Mapping[str, Any]) -> dict[str, Any]:
        """A de-identified copy of a case dict (RECIST.md case file)."""
        out: dict[str, Any] = copy.deepcopy(dict(case))
        patient = dict(out.get("patient") or {})
        for value in patient.values():
            if isinstance(value, str) and value:
                self.removed_texts.add(value)
        out["patient"] = {"id": self.pseudonym}
        out.pop("reader", None)
        for lesion in out.get("lesions", []):
            if isinstance(lesion.get("location"), str):
                lesion["location"] = self.text(lesion["location"])
        for tp in out.get("timepoints", []):
            if tp.get("study_uid"):
                tp["study_uid"] = self.uid(tp["study_uid"])
            if tp.get("date"):
                tp["date"] = self.date(tp["date"])
        for lesion in out.get("lesions", []):
            if lesion.get("tracking_uid"):
                lesion["tracking_uid"] = self.uid(lesion["tracking_uid"])
            for m in (lesion.get("measurements") or {}).values():
                image = m.get("image") or {}
                if image.get("sop_uid"):
                    image["sop_uid"] = self.uid(image["sop_uid"])
        return out

    def text(self, text: str) -> str:
        """Free text with every known name or ID of the patient blanked out."""
        for value in sorted(self.removed_texts, key=len, reverse=True):
            for part in {value, *re.split(r"[\^, ]+", value)}:
                if len(part) >= 3:
                    text = re.sub(re.escape(part), "[…]", text, flags=re.IGNORECASE)
        return text

    def _remember(self, ds: Dataset) -> None:
        for keyword in ("PatientName", "PatientID", "OtherPatientIDs"):
            value = str(ds.get(keyword, "") or "")
            if value:
                self.removed_texts.add(value)

    def _element(self, ds: Dataset, element: DataElement) -> None:
        if element.VR == "UI" and element.value:
            if element.VM > 1:
                element.value = [self.uid(v) for v in element.value]
            else:
                element.value = self.uid(element.value)
        elif element.VR == "DA" and element.value:
            element.value = self.date(str(element.value))
        elif element.VR == "DT" and element.value:
            text = str(element.value)
            element.value = self.date(text[:8]) + text[8:]
        elif element.VR == "PN" and element.value:
            element.value = DUMMY_READER if element.keyword == "PersonName" else ""


def _code(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = "DCM"
    item.CodeMeaning = meaning
    return item
