"""A reading state as plain JSON-ready dicts: its full form and the case file.

:func:`state_to_json` keeps everything a reader did (unassigned measurements,
annotations, key images) in a form keyed by id, so the workspace can store it and
the differences between two states item by item. :func:`state_to_case` and
:func:`state_from_case` map to and from the nadir-case/1 format of RECIST.md, which
holds only the lesion table. Nothing here reads or writes files.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from measurement.model import (
    STATUSES,
    Annotation,
    AnnotationKind,
    ImageRef,
    KeyImage,
    Lesion,
    LesionKind,
    Measurement,
    ReadingState,
    Status,
    Timepoint,
    Tool,
)
from viewer.volume import Calibration

logger = logging.getLogger(__name__)

STATE_FORMAT = "nadir-reading/1"
CASE_FORMAT = "nadir-case/1"

# Top-level entries of the JSON state that are collections keyed by id.
KEYED_COLLECTIONS = (
    "timepoints",
    "lesions",
    "measurements",
    "statuses",
    "annotations",
    "key_images",
)

Json = dict[str, Any]


class CaseError(ValueError):
    """A case file or stored state that breaks its format; names the field."""


# ------------------------------------------------------------------ full state


def state_to_json(state: ReadingState) -> Json:
    """The whole state, collections keyed by id (order kept in ``lesion_order``)."""
    statuses: dict[str, dict[str, str]] = {}
    for status in state.statuses:
        statuses.setdefault(status.lesion_id, {})[status.timepoint_id] = status.value
    return {
        "format": STATE_FORMAT,
        "patient": {"id": state.patient_id},
        "reader": state.reader,
        "timepoints": {
            t.id: {
                "study_uid": t.study_uid,
                "date": t.date,
                "baseline": t.baseline,
                "slice_thickness_mm": t.slice_thickness_mm,
            }
            for t in state.timepoints
        },
        "lesions": {
            x.id: {
                "kind": x.kind.value,
                "name": x.name,
                "organ": x.organ,
                "node": x.node,
            }
            for x in state.lesions
        },
        "lesion_order": [x.id for x in state.lesions],
        "measurements": {m.id: _measurement_to_json(m) for m in state.measurements},
        "statuses": statuses,
        "annotations": {
            a.id: {
                "timepoint": a.timepoint_id,
                "kind": a.kind.value,
                "points_lps_mm": [list(p) for p in a.points_lps_mm],
                "text": a.text,
                "image": _image_to_json(a.image),
            }
            for a in state.annotations
        },
        "key_images": {
            k.image.sop_uid: {
                "image": _image_to_json(k.image),
                "timepoint": k.timepoint_id,
            }
            for k in state.key_images
        },
    }


def state_from_json(data: Mapping[str, Any]) -> ReadingState:
    """Rebuild a state written by :func:`state_to_json`."""
    if data.get("format") != STATE_FORMAT:
        raise CaseError(
            f"format: expected {STATE_FORMAT!r}, got {data.get('format')!r}"
        )
    lesions_json = _mapping(data, "lesions")
    order = data.get("lesion_order", [])
    if sorted(order) != sorted(lesions_json):
        raise CaseError("lesion_order: does not list exactly the lesions")
    return ReadingState(
        patient_id=str(_mapping(data, "patient").get("id", "")),
        reader=str(data.get("reader", "")),
        timepoints=tuple(
            Timepoint(
                tid,
                str(t["study_uid"]),
                str(t["date"]),
                bool(t["baseline"]),
                t.get("slice_thickness_mm"),
            )
            for tid, t in _mapping(data, "timepoints").items()
        ),
        lesions=tuple(
            Lesion(
                lid,
                _kind(lesions_json[lid]["kind"], f"lesions.{lid}.kind"),
                str(lesions_json[lid]["name"]),
                str(lesions_json[lid]["organ"]),
                bool(lesions_json[lid]["node"]),
            )
            for lid in order
        ),
        measurements=tuple(
            _measurement_from_json(mid, m)
            for mid, m in _mapping(data, "measurements").items()
        ),
        statuses=tuple(
            Status(lid, tid, str(value))
            for lid, cells in _mapping(data, "statuses").items()
            for tid, value in cells.items()
        ),
        annotations=tuple(
            Annotation(
                aid,
                str(a["timepoint"]),
                AnnotationKind(a["kind"]),
                tuple(_point(p, f"annotations.{aid}") for p in a["points_lps_mm"]),
                str(a["text"]),
                _image_from_json(a["image"]),
            )
            for aid, a in _mapping(data, "annotations").items()
        ),
        key_images=tuple(
            KeyImage(_required_image(k["image"]), str(k["timepoint"]))
            for k in _mapping(data, "key_images").values()
        ),
    )


# ------------------------------------------------------------------ case file


def state_to_case(state: ReadingState) -> Json:
    """The lesion table in the nadir-case/1 format of RECIST.md."""
    timepoints: list[Json] = []
    for t in state.timepoints:
        entry: Json = {"id": t.id, "date": t.date}
        if t.baseline:
            entry["baseline"] = True
        if t.study_uid:
            entry["study_uid"] = t.study_uid
        if t.slice_thickness_mm is not None:
            entry["slice_thickness_mm"] = t.slice_thickness_mm
        timepoints.append(entry)
    case: Json = {"format": CASE_FORMAT, "patient": {"id": state.patient_id}}
    if state.reader:
        case["reader"] = state.reader
    case["timepoints"] = timepoints
    case["lesions"] = [_lesion_to_case(state, lesion) for lesion in state.lesions]
    return case


def state_from_case(case: Mapping[str, Any]) -> ReadingState:
    """Build a state from a nadir-case/1 dict; :class:`CaseError` names bad fields."""
    if not isinstance(case, Mapping):
        raise CaseError("the case must be a JSON object")
    if case.get("format") != CASE_FORMAT:
        raise CaseError(f"format: expected {CASE_FORMAT!r}, got {case.get('format')!r}")
    patient = case.get("patient", {})
    if not isinstance(patient, Mapping):
        raise CaseError("patient: expected an object with an 'id'")
    timepoints = tuple(
        _timepoint_from_case(t, f"timepoints[{n}]")
        for n, t in enumerate(_list(case, "timepoints"))
    )
    known = {t.id for t in timepoints}
    lesions: list[Lesion] = []
    measurements: list[Measurement] = []
    statuses: list[Status] = []
    for n, item in enumerate(_list(case, "lesions")):
        where = f"lesions[{n}]"
        if not isinstance(item, Mapping):
            raise CaseError(f"{where}: expected an object")
        lesion = _lesion_from_case(item, where)
        if any(x.id == lesion.id for x in lesions):
            raise CaseError(f"{where}.id: {lesion.id!r} is used twice")
        lesions.append(lesion)
        cells = _cells(item, lesion, where)
        for tid, cell in cells.items():
            if tid not in known:
                raise CaseError(f"{where}: timepoint {tid!r} is not in timepoints")
            if isinstance(cell, str):
                statuses.append(
                    _status(lesion, tid, cell, f"{where}.assessments.{tid}")
                )
                continue
            cell_where = f"{where}.measurements.{tid}"
            for unsupported in ("fragments_mm", "merged_into"):
                if unsupported in cell:
                    raise CaseError(
                        f"{cell_where}.{unsupported}: split and merged lesions are not "
                        "yet kept in the lesion table; evaluate this file with "
                        "'nadir recist' instead"
                    )
            if "status" in cell:
                statuses.append(_status(lesion, tid, cell["status"], cell_where))
                continue
            number = len(measurements) + 1
            measurements.append(
                _measurement_from_case(f"M{number}", lesion.id, tid, cell, cell_where)
            )
    reader = case.get("reader", "")
    if not isinstance(reader, str):
        raise CaseError(f"reader: expected text, got {reader!r}")
    return ReadingState(
        patient_id=str(patient.get("id", "")),
        reader=reader,
        timepoints=timepoints,
        lesions=tuple(lesions),
        measurements=tuple(measurements),
        statuses=tuple(statuses),
    )


# -------------------------------------------------------------------- helpers


def _measurement_to_json(m: Measurement) -> Json:
    return {
        "timepoint": m.timepoint_id,
        "tool": m.tool.value,
        "points_lps_mm": [list(p) for p in m.points_lps_mm],
        "image": _image_to_json(m.image),
        "calibration": {
            "unit": m.calibration.unit,
            "trusted": m.calibration.trusted,
            "note": m.calibration.note,
        },
        "lesion": m.lesion_id,
        "long_mm": m.long_mm,
        "short_mm": m.short_mm,
    }


def _measurement_from_json(mid: str, m: Mapping[str, Any]) -> Measurement:
    calibration = m["calibration"]
    return Measurement(
        id=mid,
        timepoint_id=str(m["timepoint"]),
        tool=Tool(m["tool"]),
        points_lps_mm=tuple(
            _point(p, f"measurements.{mid}") for p in m["points_lps_mm"]
        ),
        image=_image_from_json(m["image"]),
        calibration=Calibration(
            str(calibration["unit"]),
            bool(calibration["trusted"]),
            str(calibration["note"]),
        ),
        lesion_id=m["lesion"],
        long_mm=m["long_mm"],
        short_mm=m["short_mm"],
    )


def _image_to_json(image: ImageRef | None) -> Json | None:
    if image is None:
        return None
    return {
        "sop_uid": image.sop_uid,
        "series_uid": image.series_uid,
        "slice_thickness_mm": image.slice_thickness_mm,
    }


def _image_from_json(data: Mapping[str, Any] | None) -> ImageRef | None:
    if data is None:
        return None
    return _required_image(data)


def _required_image(data: Mapping[str, Any]) -> ImageRef:
    return ImageRef(
        str(data["sop_uid"]),
        str(data.get("series_uid", "")),
        data.get("slice_thickness_mm"),
    )


def _lesion_to_case(state: ReadingState, lesion: Lesion) -> Json:
    entry: Json = {"id": lesion.id, "kind": lesion.kind.value}
    if lesion.organ:
        entry["organ"] = lesion.organ
    if lesion.kind is LesionKind.TARGET or lesion.node:
        entry["node"] = lesion.node
    if lesion.name:
        entry["location"] = lesion.name
    if lesion.kind is LesionKind.TARGET:
        cells: Json = {}
        for t in state.timepoints:
            status = state.status(lesion.id, t.id)
            measured = state.cell_measurements(lesion.id, t.id)
            if status is not None:
                cells[t.id] = {"status": status}
            elif measured:
                cells[t.id] = _measurement_to_case(measured[0])
        entry["measurements"] = cells
        return entry
    assessments = {
        t.id: value
        for t in state.timepoints
        if (value := state.status(lesion.id, t.id)) is not None
    }
    if lesion.kind is LesionKind.NEW and assessments:
        entry["first_seen"] = next(iter(assessments))
    entry["assessments"] = assessments
    return entry


def _measurement_to_case(m: Measurement) -> Json:
    cell: Json = {}
    if m.long_mm is not None:
        cell["long_mm"] = m.long_mm
    if m.short_mm is not None:
        cell["short_mm"] = m.short_mm
    if m.image is not None:
        image: Json = {}
        if m.image.sop_uid:
            image["sop_uid"] = m.image.sop_uid
        if m.image.series_uid:
            image["series_uid"] = m.image.series_uid
        if len(m.points_lps_mm) in (2, 4):
            image["points_mm"] = [list(p) for p in m.points_lps_mm]
        if m.image.slice_thickness_mm is not None:
            image["slice_thickness_mm"] = m.image.slice_thickness_mm
        cell["image"] = image
    if m.calibration.unit == "px":
        # The case format has no calibration field; the table and the image
        # label say "uncalibrated", so this is logged once per write at debug.
        logger.debug(
            "%s was measured on an image without pixel spacing; its case-file "
            "lengths are in pixels",
            m.id,
        )
    return cell


def _timepoint_from_case(item: Any, where: str) -> Timepoint:
    if not isinstance(item, Mapping):
        raise CaseError(f"{where}: expected an object")
    tid = item.get("id")
    if not isinstance(tid, str) or not tid:
        raise CaseError(f"{where}.id: expected a text id, got {tid!r}")
    return Timepoint(
        tid,
        str(item.get("study_uid", "")),
        str(item.get("date", "")),
        item.get("baseline") is True,
        _optional_length(item, "slice_thickness_mm", where),
    )


def _lesion_from_case(item: Mapping[str, Any], where: str) -> Lesion:
    lid = item.get("id")
    if not isinstance(lid, str) or not lid:
        raise CaseError(f"{where}.id: expected a text id, got {lid!r}")
    node = item.get("node", False)
    if not isinstance(node, bool):
        raise CaseError(f"{where}.node: expected true or false, got {node!r}")
    return Lesion(
        lid,
        _kind(item.get("kind"), f"{where}.kind"),
        str(item.get("location", "")),
        str(item.get("organ", "")),
        node,
    )


def _cells(item: Mapping[str, Any], lesion: Lesion, where: str) -> Mapping[str, Any]:
    key = "measurements" if lesion.kind is LesionKind.TARGET else "assessments"
    cells = item.get(key, {})
    if not isinstance(cells, Mapping):
        raise CaseError(f"{where}.{key}: expected an object keyed by timepoint id")
    for tid, cell in cells.items():
        expected = Mapping if key == "measurements" else str
        if not isinstance(cell, expected):
            kind = "an object" if key == "measurements" else "a status text"
            raise CaseError(f"{where}.{key}.{tid}: expected {kind}, got {cell!r}")
    return cells


def _status(lesion: Lesion, tid: str, value: Any, where: str) -> Status:
    allowed = STATUSES[lesion.kind]
    if value not in allowed:
        raise CaseError(
            f"{where}: {value!r} is not a status of a {lesion.kind.value} lesion "
            f"(expected one of {', '.join(allowed)})"
        )
    return Status(lesion.id, tid, str(value))


def _measurement_from_case(
    mid: str, lesion_id: str, tid: str, cell: Mapping[str, Any], where: str
) -> Measurement:
    lengths = [cell.get("long_mm"), cell.get("short_mm")]
    for name, value in zip(("long_mm", "short_mm"), lengths, strict=True):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or value < 0
        ):
            raise CaseError(f"{where}.{name}: expected a length in mm, got {value!r}")
    if lengths[0] is None:
        raise CaseError(f"{where}: expected 'long_mm' or 'status'")
    image = cell.get("image")
    points: tuple[tuple[float, float, float], ...] = ()
    ref = None
    if image is not None:
        if not isinstance(image, Mapping) or not isinstance(image.get("sop_uid"), str):
            raise CaseError(f"{where}.image: expected an object with a 'sop_uid'")
        ref = ImageRef(
            image["sop_uid"],
            str(image.get("series_uid", "")),
            _optional_length(image, "slice_thickness_mm", f"{where}.image"),
        )
        points = tuple(
            _point(p, f"{where}.image.points_mm") for p in image.get("points_mm", [])
        )
    tool = {2: Tool.CALIPER, 4: Tool.BIDIRECTIONAL}.get(len(points), Tool.MANUAL)
    return Measurement(
        id=mid,
        timepoint_id=tid,
        tool=tool,
        points_lps_mm=points,
        image=ref,
        lesion_id=lesion_id,
        long_mm=float(lengths[0]),
        short_mm=None if lengths[1] is None else float(lengths[1]),
    )


def _optional_length(item: Mapping[str, Any], key: str, where: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise CaseError(f"{where}.{key}: expected a length in mm, got {value!r}")
    return float(value)


def _kind(value: Any, where: str) -> LesionKind:
    try:
        return LesionKind(value)
    except ValueError:
        kinds = ", ".join(k.value for k in LesionKind)
        raise CaseError(f"{where}: expected one of {kinds}, got {value!r}") from None


def _point(value: Any, where: str) -> tuple[float, float, float]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 3
        or not all(isinstance(v, int | float) for v in value)
    ):
        raise CaseError(f"{where}: expected a point [x, y, z] in mm, got {value!r}")
    return (float(value[0]), float(value[1]), float(value[2]))


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise CaseError(f"{key}: expected an object")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise CaseError(f"{key}: expected a list")
    return value
