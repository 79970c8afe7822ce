"""Reading a TID 1500 measurement report back into a case (RECIST.md format).

Works on the content tree with pydicom only, so it reads reports written here and
those of other tools (dcmqi, highdicom, viewers) alike, old SNOMED RT codes included:
each measurement group (PS3.16 TID 1410, 1411, 1501) becomes a lesion at the
timepoint of its time point context (TID 1502), identified by its tracking UID and
tracking identifier (TID 4108). End points given as SCOORD on an image are turned
into patient coordinates with that image's geometry, taken from the caller's headers
or from the report's image library (TID 1600).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from reporting import srcodes as c
from reporting.imagegeom import GeometryError, ImagePlane, image_plane
from reporting.srresponses import RECIST_TRACKING_PREFIX
from reporting.srtree import concept, image_library, image_uid, num_value, walk

logger = logging.getLogger(__name__)

_LONG_AXIS = {("103339001", "SCT"), ("G-A185", "SRT"), ("G-D7FE", "SRT")}
_SHORT_AXIS = {("103340004", "SCT"), ("G-A186", "SRT")}
_LENGTH_MEANINGS = {"long axis", "diameter", "length", "long axis length"}
_FINDING_SITE = {("363698007", "SCT"), ("G-C0E3", "SRT")}
_NODE_VALUES = {"59441001", "T-C4000"}


class SrReadError(ValueError):
    """A file is not a measurement report that can be read; says what is wrong."""


@dataclass
class SrReading:
    """What a measurement report holds: the case, and what the case format has no
    place for (each lesion's tracking UID, the observer's name)."""

    case: dict[str, Any]
    tracking_uids: dict[str, str]
    observer: str = ""
    # Measurements the case format has no place for (SUV, volume...), as text.
    not_imported: list[str] = field(default_factory=list)


@dataclass
class _Group:
    tracking_id: str = ""
    tracking_uid: str = ""
    time_point: str = ""
    time_point_date: str = ""
    time_point_baseline: bool | None = None
    time_point_order: int | None = None
    finding: tuple[str, str, str] | None = None
    site: tuple[str, str, str] | None = None
    numbers: list[tuple[tuple[str, str, str], float]] = field(default_factory=list)
    codes: list[tuple[tuple[str, str, str], tuple[str, str, str]]] = field(
        default_factory=list
    )
    scoord: tuple[str, list[float]] | None = None
    scoord3d: list[float] | None = None
    images: list[str] = field(default_factory=list)


def read_sr(
    source: str | Path | Dataset,
    headers: Mapping[str, Dataset] | None = None,
) -> dict[str, Any]:
    """The case (``nadir-case/1``) that a TID 1500 measurement report describes.

    See :func:`read_sr_reading`, which also gives the tracking UIDs.
    """
    return read_sr_reading(source, headers).case


def read_sr_reading(
    source: str | Path | Dataset,
    headers: Mapping[str, Dataset] | None = None,
) -> SrReading:
    """The case and tracking UIDs that a TID 1500 measurement report describes.

    Parameters
    ----------
    source
        Path of the SR file, or the dataset.
    headers
        Optional source image headers by SOP Instance UID, used to place SCOORD end
        points in the patient when the report's image library lacks geometry.

    Raises
    ------
    SrReadError
        If the file is not DICOM, is not an SR, or holds no measurement groups.
    """
    ds = _open(source)
    where = str(source) if not isinstance(source, Dataset) else "SR dataset"
    root = ds.get("ContentSequence")
    if root is None:
        raise SrReadError(f"{where}: ContentSequence is missing; not an SR document")
    library = image_library(ds)
    planes: dict[str, ImagePlane] = {}
    for uid, header in {**library, **(headers or {})}.items():
        try:
            planes[uid] = image_plane(header, f"{where}, image {uid}")
        except GeometryError as error:
            logger.debug("%s", error)
    groups = [_group(item) for item in _measurement_groups(ds)]
    if not groups:
        raise SrReadError(
            f"{where}: no Measurement Group (DCM 125007) found; not a TID 1500 "
            "measurement report with measurements"
        )
    reading = _case(ds, groups, library, planes)
    reading.not_imported = [
        f"{g.tracking_id or 'measurement group'}: {name[2]} = {value:g}"
        for g in groups
        for name, value in g.numbers
        if name[:2] not in _LONG_AXIS
        and name[:2] not in _SHORT_AXIS
        and name[2].lower() not in _LENGTH_MEANINGS
        and name[2].lower() != "short axis"
        and name[1] != c.PRIVATE_SCHEME
    ]
    return reading


def _date_text(text: str) -> str:
    """An ISO date (or DICOM DA) as ISO, or "" when it is not a date."""
    digits = text.strip().replace("-", "")
    if len(digits) == 8 and digits.isdigit():
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return ""


def _open(source: str | Path | Dataset) -> Dataset:
    if isinstance(source, Dataset):
        ds = source
    else:
        try:
            ds = pydicom.dcmread(source)
        except (InvalidDicomError, OSError) as error:
            raise SrReadError(f"{source}: cannot be read as DICOM ({error})") from error
    if str(ds.get("Modality", "")) != "SR":
        raise SrReadError(
            f"{source if not isinstance(source, Dataset) else 'dataset'}: Modality is "
            f"{ds.get('Modality', '(missing)')!r}, expected 'SR'"
        )
    return ds


def _measurement_groups(ds: Dataset) -> Iterator[Dataset]:
    for item in walk(ds.ContentSequence):
        if item.get("ValueType") == "CONTAINER" and concept(item)[:2] == (
            "125007",
            "DCM",
        ):
            yield item


def _group(container: Dataset) -> _Group:
    g = _Group()
    for item in container.get("ContentSequence") or []:
        vt = item.get("ValueType")
        name = concept(item)
        if vt == "TEXT" and name[:2] == ("112039", "DCM"):
            g.tracking_id = str(item.TextValue)
        elif vt == "UIDREF" and name[:2] == ("112040", "DCM"):
            g.tracking_uid = str(item.UID)
        elif vt == "TEXT" and name[2].lower() == "time point":
            g.time_point = str(item.TextValue)
        elif vt == "TEXT" and name[2].lower() == "subject time point identifier":
            g.time_point_date = _date_text(str(item.TextValue))
        elif vt == "CODE" and name[:2] == ("126072", "DCM"):
            g.time_point_baseline = concept(item, "ConceptCodeSequence")[0] == (
                "C1442488"
            )
        elif vt == "NUM" and name[:2] == ("126073", "DCM"):
            g.time_point_order = int(float(num_value(item) or 0))
        elif vt == "CODE" and name[:2] == ("121071", "DCM"):
            g.finding = concept(item, "ConceptCodeSequence")
        elif vt == "CODE" and name[:2] in _FINDING_SITE:
            g.site = concept(item, "ConceptCodeSequence")
        elif vt == "NUM":
            value = num_value(item)
            if value is not None:
                g.numbers.append((name, value))
            for child in item.get("ContentSequence") or []:
                if child.get("ValueType") == "IMAGE":
                    uid = image_uid(child)
                    if uid not in g.images:
                        g.images.append(uid)
        elif vt == "CODE":
            g.codes.append((name, concept(item, "ConceptCodeSequence")))
        elif vt == "SCOORD":
            g.scoord = (_first_image(item), [float(v) for v in item.GraphicData])
        elif vt == "SCOORD3D":
            g.scoord3d = [float(v) for v in item.GraphicData]
        elif vt == "IMAGE":
            g.images.append(image_uid(item))
    return g


def _first_image(item: Dataset) -> str:
    for child in item.get("ContentSequence") or []:
        if child.get("ValueType") == "IMAGE":
            return image_uid(child)
    return ""


def _case(
    ds: Dataset,
    groups: list[_Group],
    library: Mapping[str, Dataset],
    planes: Mapping[str, ImagePlane],
) -> SrReading:
    timepoints = _timepoints(ds, groups, library)
    lesions: dict[str, dict[str, Any]] = {}
    for g in groups:
        if g.tracking_id.startswith(RECIST_TRACKING_PREFIX):
            continue
        key = g.tracking_uid or g.tracking_id or f"group-{len(lesions) + 1}"
        lesion = lesions.get(key)
        if lesion is None:
            lesion = _new_lesion(g, len(lesions) + 1)
            taken = {other["id"] for other in lesions.values()}
            base, n = lesion["id"], 2
            # Another tool may give several lesions one tracking identifier; the
            # case needs distinct IDs, so later ones are numbered.
            while lesion["id"] in taken:
                lesion["id"], n = f"{base}-{n}", n + 1
            lesions[key] = lesion
        _add_timepoint(lesion, g, planes, library)
    tracking: dict[str, str] = {}
    for lesion in lesions.values():
        _finish(lesion, [t["id"] for t in timepoints])
        uid = lesion.pop("tracking_uid", None)
        if uid:
            tracking[lesion["id"]] = uid
    patient: dict[str, Any] = {"id": str(ds.get("PatientID", ""))}
    if ds.get("PatientName"):
        patient["name"] = str(ds.PatientName)
    case: dict[str, Any] = {"format": "nadir-case/1", "patient": patient}
    observer = _observer(ds)
    if observer:
        case["reader"] = observer
    case["timepoints"] = timepoints
    case["lesions"] = list(lesions.values())
    return SrReading(case, tracking, observer)


def _observer(ds: Dataset) -> str:
    """The first person observer name (TID 1003), carets at the end dropped."""
    for item in walk(ds.ContentSequence):
        if item.get("ValueType") == "PNAME" and concept(item)[:2] == (
            "121008",
            "DCM",
        ):
            return str(item.PersonName).rstrip("^")
    return ""


def _timepoints(
    ds: Dataset, groups: list[_Group], library: Mapping[str, Dataset]
) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for n, g in enumerate(groups):
        if g.tracking_id.startswith(RECIST_TRACKING_PREFIX) or not (
            g.time_point or g.numbers
        ):
            continue
        tp_id = g.time_point or "1"
        g.time_point = tp_id
        tp = found.setdefault(tp_id, {"id": tp_id, "_order": (10**6, n)})
        if g.time_point_order is not None:
            tp["_order"] = min(tp["_order"], (g.time_point_order, n))
        if g.time_point_baseline:
            tp["baseline"] = True
        if g.time_point_date:
            tp.setdefault("_date", g.time_point_date)
        for uid in [g.scoord[0]] if g.scoord else []:
            header = library.get(uid)
            if header is not None and header.StudyInstanceUID:
                tp.setdefault("study_uid", header.StudyInstanceUID)
                if header.StudyDate:
                    tp.setdefault("date", _iso(str(header.StudyDate)))
    for tp in found.values():
        fallback = tp.pop("_date", None)
        if fallback and "date" not in tp:
            tp["date"] = fallback
        if "study_uid" not in tp and not any(
            "study_uid" in t for t in found.values() if t is not tp
        ):
            tp["study_uid"] = str(ds.get("StudyInstanceUID", ""))
            if ds.get("StudyDate"):
                tp.setdefault("date", _iso(str(ds.StudyDate)))
    for tp in found.values():
        if "date" not in tp:
            # A report without any date for this timepoint: the report's own study
            # date is the best available.
            tp["date"] = _iso(str(ds.get("StudyDate", "") or ds.get("ContentDate", "")))
    ordered = sorted(found.values(), key=lambda t: t.pop("_order"))
    if ordered and not any(t.get("baseline") for t in ordered):
        ordered[0]["baseline"] = True
    return ordered


def _iso(da: str) -> str:
    return f"{da[:4]}-{da[4:6]}-{da[6:8]}" if len(da) == 8 else da


def _new_lesion(g: _Group, n: int) -> dict[str, Any]:
    kind = None
    node = bool(g.finding and g.finding[0] in _NODE_VALUES) or bool(
        g.site and g.site[0] in _NODE_VALUES
    )
    for name, value in g.codes:
        if name[:2] == (c.LESION_CATEGORY.value, c.PRIVATE_SCHEME):
            kind = c.key_for(c.KIND_CODES, value[0], value[1])
    organ = c.organ_text(*g.site, node) if g.site else ""
    lesion: dict[str, Any] = {
        "id": g.tracking_id or f"L{n}",
        "kind": kind or ("target" if _lengths(g)[0] else "non-target"),
        "organ": organ,
        "node": node,
    }
    if g.tracking_uid:
        lesion["tracking_uid"] = g.tracking_uid
    return lesion


def _lengths(g: _Group) -> tuple[list[float], float | None]:
    """All long-axis values (several for a split lesion) and the short axis."""
    longs: list[float] = []
    short_mm = None
    for name, value in g.numbers:
        if name[:2] in _LONG_AXIS or (
            name[2].lower() in _LENGTH_MEANINGS and name[1] != c.PRIVATE_SCHEME
        ):
            longs.append(value)
        elif name[:2] in _SHORT_AXIS or name[2].lower() == "short axis":
            short_mm = value
    return longs, short_mm


def _add_timepoint(
    lesion: dict[str, Any],
    g: _Group,
    planes: Mapping[str, ImagePlane],
    library: Mapping[str, Dataset],
) -> None:
    tp = g.time_point
    status = assessment = merged_into = None
    for name, value in g.codes:
        if name[:2] == (c.MEASUREMENT_STATUS.value, c.PRIVATE_SCHEME):
            status = c.key_for(c.STATUS_CODES, value[0], value[1])
            if status == "merged" and value[2].startswith(c.MERGED_INTO):
                merged_into = value[2][len(c.MERGED_INTO) :]
        elif name[:2] == (c.LESION_ASSESSMENT.value, c.PRIVATE_SCHEME):
            assessment = c.key_for(c.ASSESSMENT_CODES, value[0], value[1])
    longs, short_mm = _lengths(g)
    if assessment is not None:
        lesion.setdefault("assessments", {})[tp] = assessment
    if status is None and not longs and short_mm is None:
        if assessment is None:
            lesion.setdefault("assessments", {})[tp] = "present"
        return
    m: dict[str, Any] = {}
    if status is not None:
        m["status"] = status
    if merged_into:
        m["merged_into"] = merged_into
    if len(longs) > 1:
        m["fragments_mm"] = longs
    elif longs:
        m["long_mm"] = longs[0]
    if short_mm is not None:
        m["short_mm"] = short_mm
    image = _image(g, planes)
    series_uid = str(
        library.get(image.get("sop_uid", ""), Dataset()).get("SeriesInstanceUID", "")
    )
    if series_uid:
        image["series_uid"] = series_uid
    if image:
        m["image"] = image
    lesion.setdefault("measurements", {})[tp] = m


def _image(g: _Group, planes: Mapping[str, ImagePlane]) -> dict[str, Any]:
    if g.scoord is not None:
        uid, data = g.scoord
        image: dict[str, Any] = {"sop_uid": uid}
        plane = planes.get(uid)
        pixels = np.asarray(data, dtype=np.float64).reshape(-1, 2)
        if plane is not None:
            image["points_mm"] = plane.to_patient(pixels).round(4).tolist()
        else:
            # Without the image's geometry (neither in the report's image library
            # nor in the headers given) the end points cannot be placed.
            logger.debug("no geometry for image %s; end points left out", uid)
        return image
    if g.scoord3d is not None:
        points = np.asarray(g.scoord3d, dtype=np.float64).reshape(-1, 3)
        image = {"points_mm": points.round(4).tolist()}
        if g.images:
            image["sop_uid"] = g.images[0]
        return image
    return {"sop_uid": g.images[0]} if g.images else {}


def _finish(lesion: dict[str, Any], order: list[str]) -> None:
    """Move what the case format keeps per kind into place (RECIST.md)."""
    if lesion["kind"] in ("non-target", "new") and "measurements" in lesion:
        for tp, m in lesion.pop("measurements").items():
            lesion.setdefault("assessments", {}).setdefault(
                tp, "absent" if m.get("status") == "absent" else "present"
            )
    if lesion["kind"] == "new":
        seen = [tp for tp in order if tp in lesion.get("assessments", {})]
        if seen:
            lesion["first_seen"] = seen[0]
    if lesion["kind"] != "target" and not lesion.get("node"):
        lesion.pop("node", None)
