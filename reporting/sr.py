"""The reading as a DICOM TID 1500 Measurement Report (Comprehensive 3D SR).

One document holds the whole reading, so that opening it again restores every
timepoint: it belongs to the newest study that has a measured image, and images of
earlier studies are listed as pertinent other evidence (PS3.3 C.17.2.3). Inside,
there is one measurement group per lesion per timepoint (PS3.16 TID 1410 when the
measurement has end points on an image, TID 1501 otherwise), each with the lesion's
tracking identifier and a tracking UID that is the same at every timepoint
(TID 4108), the time point context (TID 1502), the finding ("Lesion" or "Lymph
node") and its site (SNOMED CT), the long and short axes in UCUM mm, and the RECIST
lesion category. The end points are a SCOORD POLYLINE on the measured image, or a
SCOORD3D POLYLINE in the frame of reference when they do not lie on that image
(a resliced plane). The responses of each timepoint and the best overall response
are groups of qualitative evaluations (TID 1501) tracked as "RECIST <timepoint>".
:func:`read_sr` turns such a document, or another tool's TID 1500, back into a case.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from reporting import srcodes as c
from reporting.evidence import evidence_header
from reporting.imagegeom import GeometryError, image_plane
from reporting.srread import read_sr
from reporting.srresponses import response_groups

__all__ = ["build_sr", "read_sr", "tracking_uid", "write_sr", "SrError"]

logger = logging.getLogger(__name__)

# End points further than this from the referenced image's plane are written as
# SCOORD3D, since a 2D coordinate on that image would misplace them.
IN_PLANE_TOLERANCE_MM = 0.05
MANUFACTURER = "Nadir"
SERIES_NUMBER = 9001


class SrError(ValueError):
    """The reading cannot be written as a measurement report; says why."""


def tracking_uid(case: Mapping[str, Any], lesion: Mapping[str, Any]) -> str:
    """The lesion's tracking UID: its own, or one derived from patient and lesion.

    Derived UIDs use the 2.25 root (PS3.5 B.2) from a hash of the patient ID, the
    baseline study and the lesion ID, so every export of one reading gives a lesion
    the same UID.
    """
    own = lesion.get("tracking_uid")
    if isinstance(own, str) and own:
        return own
    baseline = next(
        (t for t in case.get("timepoints", []) if t.get("baseline")),
        (case.get("timepoints") or [{}])[0],
    )
    seed = "|".join(
        [
            str(case.get("patient", {}).get("id", "")),
            str(baseline.get("study_uid", "")),
            str(lesion.get("id", "")),
        ]
    )
    digest = hashlib.sha256(seed.encode("utf-8")).digest()[:16]
    return f"2.25.{uuid.UUID(bytes=digest).int}"


def build_sr(
    case: Mapping[str, Any],
    headers: Mapping[str, Dataset],
    evaluation: Mapping[str, Any] | None = None,
    reader_name: str = "",
    sop_instance_uid: str | None = None,
    series_instance_uid: str | None = None,
    tracking_uids: Mapping[str, str] | None = None,
) -> hd.sr.Comprehensive3DSR:
    """Build the measurement report of a case (RECIST.md case file).

    Parameters
    ----------
    case
        The case file as a dict (format ``nadir-case/1``).
    headers
        Source image headers by SOP Instance UID; every image a measurement refers
        to must be here.
    evaluation
        The RECIST evaluation of the case; its responses become qualitative
        evaluations. None leaves them out.
    reader_name
        The reader, written as the person observer (TID 1002) in DICOM PN form;
        the case's ``reader`` when not given.
    tracking_uids
        Tracking UIDs by lesion ID, kept from a report that was read in; lesions
        without one get :func:`tracking_uid`.
    """
    evidence = _evidence(case, headers)
    timepoints = list(case.get("timepoints", []))
    order = {str(t.get("id")): n for n, t in enumerate(timepoints, start=1)}
    groups: list[Any] = []
    for lesion in case.get("lesions", []):
        uid = (tracking_uids or {}).get(str(lesion.get("id"))) or tracking_uid(
            case, lesion
        )
        groups.extend(_lesion_groups(lesion, uid, timepoints, order, headers))
    if evaluation is not None:
        groups.extend(response_groups(evaluation, timepoints, order, _time_point))
    if not groups:
        raise SrError("the case has no lesions, so there is nothing to report")

    observer = hd.sr.ObserverContext(
        observer_type=hd.sr.CodedConcept.from_code(c.PERSON),
        observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
            name=_person_name(reader_name or str(case.get("reader") or ""))
        ),
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=observer),
        procedure_reported=_procedure(evidence),
        imaging_measurements=groups,
        title=Code("126001", "DCM", "Oncology Measurement Report"),
        referenced_images=[h for h in evidence if _fits_image_library(h)],
    )
    sr = hd.sr.Comprehensive3DSR(
        evidence=evidence,
        content=report[0],
        series_instance_uid=series_instance_uid or hd.UID(),
        series_number=SERIES_NUMBER,
        sop_instance_uid=sop_instance_uid or hd.UID(),
        instance_number=1,
        manufacturer=MANUFACTURER,
        is_complete=True,
        series_description="RECIST 1.1 measurement report",
    )
    sr.CodingSchemeIdentificationSequence = [_private_scheme()]
    _add_study_dates(sr, {str(h.SOPInstanceUID): h for h in evidence})
    return sr


def write_sr(
    path: Path,
    case: Mapping[str, Any],
    headers: Mapping[str, Dataset],
    evaluation: Mapping[str, Any] | None = None,
    reader_name: str = "",
) -> hd.sr.Comprehensive3DSR:
    """Build the measurement report (see :func:`build_sr`) and write it to ``path``."""
    sr = build_sr(case, headers, evaluation, reader_name)
    sr.save_as(path, enforce_file_format=True)
    logger.debug("wrote measurement report %s", path)
    return sr


def _evidence(case: Mapping[str, Any], headers: Mapping[str, Dataset]) -> list[Dataset]:
    """Headers of every measured image, the newest study's first."""
    wanted: list[str] = []
    for lesion in case.get("lesions", []):
        for m in (lesion.get("measurements") or {}).values():
            uid = (m.get("image") or {}).get("sop_uid")
            if uid and uid not in wanted:
                wanted.append(uid)
    missing = [u for u in wanted if u not in headers]
    if missing:
        raise SrError(
            f"measurement image {missing[0]} (image.sop_uid) is not among the source "
            "images; add the study folder that holds it"
        )
    if not wanted:
        raise SrError(
            "no measurement refers to an image (image.sop_uid), so the report "
            "cannot be placed in a study; measure on the images first"
        )
    study_rank = {
        str(t.get("study_uid")): n for n, t in enumerate(case.get("timepoints", []))
    }
    found = [evidence_header(headers[u]) for u in wanted]
    found.sort(key=lambda h: -study_rank.get(str(h.StudyInstanceUID), -1))
    return found


def _fits_image_library(header: Dataset) -> bool:
    """Whether the image library (TID 1601) can describe this image: a CT, MR or
    PET image needs its plane at the top level, which multi-frame images keep per
    frame; those are still listed as evidence, only not in the library."""
    if str(header.get("Modality", "")) not in ("CT", "MR", "PT"):
        return True
    return all(
        header.get(keyword) not in (None, "")
        for keyword in (
            "PixelSpacing",
            "ImageOrientationPatient",
            "ImagePositionPatient",
            "SliceThickness",
        )
    )


def _add_study_dates(sr: Dataset, evidence: Mapping[str, Dataset]) -> None:
    """Gives each image library entry its Study Date (TID 1602), so that reading
    the report back restores the date of every timepoint."""
    for item in sr.ContentSequence:
        if item.ConceptNameCodeSequence[0].CodeValue != "111028":
            continue
        for group in item.ContentSequence:
            for entry in group.get("ContentSequence") or []:
                if entry.ValueType != "IMAGE":
                    continue
                ref = entry.ReferencedSOPSequence[0].ReferencedSOPInstanceUID
                date = str(evidence[ref].get("StudyDate", ""))
                if len(date) != 8:
                    continue
                if "ContentSequence" not in entry:
                    entry.ContentSequence = []
                entry.ContentSequence.append(
                    hd.sr.DateContentItem(
                        name=Code("111060", "DCM", "Study Date"),
                        value=date,
                        relationship_type=hd.sr.RelationshipTypeValues.HAS_ACQ_CONTEXT,
                    )
                )


def _private_scheme() -> Dataset:
    """Declares the private coding scheme (PS3.3 C.12.1.1.2)."""
    item = Dataset()
    item.CodingSchemeDesignator = c.PRIVATE_SCHEME
    item.CodingSchemeName = "Nadir RECIST reading codes"
    item.CodingSchemeResponsibleOrganization = "Nadir"
    return item


def _procedure(evidence: Sequence[Dataset]) -> list[Code]:
    modalities = {str(h.get("Modality", "")) for h in evidence}
    codes = []
    if "CT" in modalities:
        codes.append(c.CT_PROCEDURE)
    if "MR" in modalities:
        codes.append(c.MR_PROCEDURE)
    return codes or [c.IMAGING_PROCEDURE]


def _person_name(text: str) -> str:
    """Free text as a DICOM PN: kept where it has components, else one component."""
    text = text.strip()
    if not text:
        return "Reader^Unnamed"
    return text if "^" in text else f"{text[:64]}^"


def _time_point(tp: Mapping[str, Any], order: Mapping[str, int]) -> Any:
    """TID 1502; the date is the subject time point identifier, so a timepoint
    without a measured image keeps its date in the report."""
    tp_id = str(tp.get("id"))
    return hd.sr.TimePointContext(
        subject_time_point_identifier=str(tp.get("date", "")) or None,
        time_point=tp_id,
        time_point_type=(
            Code("C1442488", "UMLS", "Baseline")
            if tp.get("baseline")
            else Code("126074", "DCM", "Posttreatment")
        ),
        time_point_order=order[tp_id],
    )


def _lesion_groups(
    lesion: Mapping[str, Any],
    uid: str,
    timepoints: Sequence[Mapping[str, Any]],
    order: Mapping[str, int],
    headers: Mapping[str, Dataset],
) -> list[Any]:
    lesion_id = str(lesion.get("id", ""))
    kind = str(lesion.get("kind", "target"))
    node = bool(lesion.get("node", False))
    tracking = hd.sr.TrackingIdentifier(uid=uid, identifier=lesion_id)
    common: dict[str, Any] = {
        "tracking_identifier": tracking,
        "finding_type": c.LYMPH_NODE if node else c.LESION,
        "finding_sites": [
            hd.sr.FindingSite(c.organ_code(str(lesion.get("organ", "")), node))
        ],
        "method": c.RECIST_1_1,
    }
    category = hd.sr.QualitativeEvaluation(c.LESION_CATEGORY, c.KIND_CODES[kind])
    measurements = lesion.get("measurements") or {}
    assessments = lesion.get("assessments") or {}
    groups: list[Any] = []
    for tp in timepoints:
        tp_id = str(tp.get("id"))
        evaluations = [category]
        if tp_id in assessments:
            evaluations.append(
                hd.sr.QualitativeEvaluation(
                    c.LESION_ASSESSMENT, c.ASSESSMENT_CODES[str(assessments[tp_id])]
                )
            )
        m = measurements.get(tp_id)
        if m is None and tp_id not in assessments:
            continue
        if m is not None and "status" in m:
            evaluations.append(
                hd.sr.QualitativeEvaluation(c.MEASUREMENT_STATUS, c.status_code(m))
            )
        context = _time_point(tp, order)
        image = (m or {}).get("image")
        region = None
        if image and m is not None and _axes(m, None):
            region = _region(image, headers, f"lesion {lesion_id} at {tp_id}")
        source = None
        if not isinstance(region, hd.sr.ImageRegion):
            # A 3D region, or none, names no image; the measurement names it.
            source = headers.get(str((image or {}).get("sop_uid")))
        numbers = _axes(m, source) if m is not None else []
        if region is not None:
            groups.append(
                hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                    referenced_region=region,
                    time_point_context=context,
                    measurements=numbers,
                    qualitative_evaluations=evaluations,
                    **common,
                )
            )
        else:
            groups.append(
                hd.sr.MeasurementsAndQualitativeEvaluations(
                    time_point_context=context,
                    measurements=numbers or None,
                    qualitative_evaluations=evaluations,
                    **common,
                )
            )
    return groups


def _axes(m: Mapping[str, Any], source: Dataset | None) -> list[Any]:
    """Long and short axis; a split lesion gives one long axis per fragment.

    ``source`` is named on each as the image measured on (TID 300), for regions
    that do not name it themselves.
    """
    images = None
    if source is not None:
        images = [
            hd.sr.SourceImageForMeasurement(
                referenced_sop_class_uid=source.SOPClassUID,
                referenced_sop_instance_uid=source.SOPInstanceUID,
            )
        ]
    values = [(c.LONG_AXIS, v) for v in m.get("fragments_mm") or []]
    for key, name in (("long_mm", c.LONG_AXIS), ("short_mm", c.SHORT_AXIS)):
        if m.get(key) is not None:
            values.append((name, m[key]))
    return [
        hd.sr.Measurement(
            name=name,
            value=float(value),
            unit=c.MILLIMETRE,
            referenced_images=images,
        )
        for name, value in values
    ]


def _region(
    image: Mapping[str, Any], headers: Mapping[str, Dataset], where: str
) -> Any:
    """SCOORD on the image when the end points lie on it, else SCOORD3D; None
    without end points."""
    points = np.asarray(image.get("points_mm") or [], dtype=np.float64).reshape(-1, 3)
    if len(points) == 0:
        return None
    if len(points) not in (2, 4):
        raise SrError(
            f"{where}: image.points_mm has {len(points)} points; expected two (long "
            "axis) or four (long axis, then short axis)"
        )
    header = headers.get(str(image.get("sop_uid")))
    if header is None:
        return _region_in_series(image, headers, points, where)
    try:
        plane = image_plane(header, f"{where}, image {image['sop_uid']}")
    except GeometryError:
        # Multi-frame images keep their geometry per frame and the case names no
        # frame, so their end points go into the frame of reference (SCOORD3D).
        plane = None
    if plane is not None and plane.distance_from_plane_mm(points) <= (
        IN_PLANE_TOLERANCE_MM
    ):
        return hd.sr.ImageRegion(
            graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
            graphic_data=plane.to_pixel(points),
            source_image=hd.sr.SourceImageForRegion(
                referenced_sop_class_uid=header.SOPClassUID,
                referenced_sop_instance_uid=header.SOPInstanceUID,
            ),
        )
    frame = str(header.get("FrameOfReferenceUID", ""))
    if not frame:
        raise SrError(
            f"{where}: the end points are off image {image['sop_uid']} and it has no "
            "FrameOfReferenceUID, so they cannot be written in 3D either"
        )
    return hd.sr.ImageRegion3D(
        graphic_type=hd.sr.GraphicTypeValues3D.POLYLINE,
        graphic_data=points,
        frame_of_reference_uid=frame,
    )


def _region_in_series(
    image: Mapping[str, Any],
    headers: Mapping[str, Dataset],
    points: Any,
    where: str,
) -> Any:
    """SCOORD3D for end points on a resliced plane that no image holds, in the frame
    of reference of the series named by ``image.series_uid``."""
    series_uid = str(image.get("series_uid") or "")
    frame = next(
        (
            str(h.get("FrameOfReferenceUID", ""))
            for h in headers.values()
            if series_uid and str(h.get("SeriesInstanceUID", "")) == series_uid
        ),
        "",
    )
    if not frame:
        raise SrError(
            f"{where}: image.points_mm lie on no image (image.sop_uid is missing) and "
            f"image.series_uid {series_uid or '(missing)'} names no source series with "
            "a FrameOfReferenceUID, so the points cannot be placed"
        )
    return hd.sr.ImageRegion3D(
        graphic_type=hd.sr.GraphicTypeValues3D.POLYLINE,
        graphic_data=points,
        frame_of_reference_uid=frame,
    )
